//! Hand-computed forward values and gradients of every differentiable op.

// `&[x.clone()]` reads better than `std::slice::from_ref(&x)` in tables of small cases.
#![allow(clippy::cloned_ref_to_slice_refs)]

use downhill_autograd::{CustomOp, Reduction, Result, Tape, Var};
use downhill_tensor::{Tensor, Transpose};

type T = Tensor<f64>;

fn t(shape: &[usize], data: &[f64]) -> T {
    Tensor::from_vec(shape, data.to_vec()).unwrap()
}

/// Records `f` on inputs, backpropagates `seed` (ones by default) from its output, and returns
/// the output value and the inputs' gradients (zeros where none arrived).
fn run(
    inputs: &[T],
    seed: Option<T>,
    f: impl Fn(&mut Tape<f64>, &[Var]) -> Result<Var>,
) -> (T, Vec<T>) {
    let mut tape = Tape::<f64>::new();
    let vars: Vec<Var> = inputs.iter().map(|x| tape.input(x.clone())).collect();
    let y = f(&mut tape, &vars).unwrap();
    let value = tape.value(y).unwrap().clone();
    let seed = seed.unwrap_or_else(|| Tensor::ones(value.shape()));
    tape.backward_with_seed(y, seed).unwrap();
    let grads = vars
        .iter()
        .zip(inputs)
        .map(|(&v, x)| {
            tape.grad(v)
                .unwrap()
                .cloned()
                .unwrap_or_else(|| Tensor::zeros(x.shape()))
        })
        .collect();
    (value, grads)
}

#[track_caller]
fn approx(got: &T, shape: &[usize], want: &[f64]) {
    assert_eq!(got.shape(), shape, "shape");
    for (i, (&g, &w)) in got.as_slice().iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-12 * w.abs().max(1.0),
            "[{i}]: got {g}, want {w} (all: {:?})",
            got.as_slice()
        );
    }
}

#[test]
fn add_sub_with_broadcasting() {
    let a = t(&[2, 2], &[1., 2., 3., 4.]);
    let b = t(&[2], &[10., 20.]);
    let seed = t(&[2, 2], &[1., 2., 3., 4.]);
    let (y, g) = run(&[a.clone(), b.clone()], Some(seed.clone()), |t, v| {
        t.add(v[0], v[1])
    });
    approx(&y, &[2, 2], &[11., 22., 13., 24.]);
    approx(&g[0], &[2, 2], &[1., 2., 3., 4.]);
    approx(&g[1], &[2], &[4., 6.]);
    let (y, g) = run(&[a, b], Some(seed), |t, v| t.sub(v[1], v[0]));
    approx(&y, &[2, 2], &[9., 18., 7., 16.]);
    approx(&g[0], &[2, 2], &[-1., -2., -3., -4.]);
    approx(&g[1], &[2], &[4., 6.]);
}

#[test]
fn mul_div_with_broadcasting() {
    let a = t(&[2, 2], &[1., 2., 3., 4.]);
    let b = t(&[2, 1], &[2., 4.]);
    let (y, g) = run(&[a.clone(), b.clone()], None, |t, v| t.mul(v[0], v[1]));
    approx(&y, &[2, 2], &[2., 4., 12., 16.]);
    approx(&g[0], &[2, 2], &[2., 2., 4., 4.]);
    approx(&g[1], &[2, 1], &[3., 7.]);
    let (y, g) = run(&[a, b], None, |t, v| t.div(v[0], v[1]));
    approx(&y, &[2, 2], &[0.5, 1., 0.75, 1.]);
    approx(&g[0], &[2, 2], &[0.5, 0.5, 0.25, 0.25]);
    // ∂/∂b Σ a/b = −Σ a / b²: row 0: −3/4, row 1: −7/16
    approx(&g[1], &[2, 1], &[-0.75, -7. / 16.]);
}

#[test]
fn neg_scale_add_scalar() {
    let a = t(&[3], &[1., -2., 3.]);
    let (y, g) = run(&[a.clone()], None, |t, v| t.neg(v[0]));
    approx(&y, &[3], &[-1., 2., -3.]);
    approx(&g[0], &[3], &[-1., -1., -1.]);
    let (y, g) = run(&[a.clone()], None, |t, v| t.scale(v[0], 2.5));
    approx(&y, &[3], &[2.5, -5., 7.5]);
    approx(&g[0], &[3], &[2.5, 2.5, 2.5]);
    let (y, g) = run(&[a], Some(t(&[3], &[1., 2., 3.])), |t, v| {
        t.add_scalar(v[0], 10.)
    });
    approx(&y, &[3], &[11., 8., 13.]);
    approx(&g[0], &[3], &[1., 2., 3.]);
}

#[test]
fn matmul_and_its_transposed_forms() {
    // A = [[1,2],[3,4]], B = [[5,6],[7,8]], seed G = [[1,0],[2,1]]
    let a = t(&[2, 2], &[1., 2., 3., 4.]);
    let b = t(&[2, 2], &[5., 6., 7., 8.]);
    let g = t(&[2, 2], &[1., 0., 2., 1.]);
    let (y, gr) = run(&[a.clone(), b.clone()], Some(g.clone()), |t, v| {
        t.matmul(v[0], v[1])
    });
    approx(&y, &[2, 2], &[19., 22., 43., 50.]);
    approx(&gr[0], &[2, 2], &[5., 7., 16., 22.]); // G·Bᵀ
    approx(&gr[1], &[2, 2], &[7., 3., 10., 4.]); // Aᵀ·G
    use Transpose::{No, Yes};
    // op(A) = Aᵀ = [[1,3],[2,4]]: Aᵀ·B = [[26,30],[38,44]]; ∂A = B·Gᵀ = [[5,16],[7,22]]
    let (y, gr) = run(&[a.clone(), b.clone()], Some(g.clone()), |t, v| {
        t.matmul_t(v[0], Yes, v[1], No)
    });
    approx(&y, &[2, 2], &[26., 30., 38., 44.]);
    approx(&gr[0], &[2, 2], &[5., 16., 7., 22.]);
    approx(&gr[1], &[2, 2], &[5., 2., 11., 4.]); // A·G
    // A·Bᵀ = [[17,23],[39,53]]; ∂B = Gᵀ·A = [[7,10],[3,4]]
    let (y, gr) = run(&[a.clone(), b.clone()], Some(g.clone()), |t, v| {
        t.matmul_t(v[0], No, v[1], Yes)
    });
    approx(&y, &[2, 2], &[17., 23., 39., 53.]);
    approx(&gr[0], &[2, 2], &[5., 6., 17., 20.]); // G·B
    approx(&gr[1], &[2, 2], &[7., 10., 3., 4.]);
    // Aᵀ·Bᵀ = [[23,31],[34,46]]; ∂A = (G·B)ᵀ, ∂B = (A·G)ᵀ
    let (y, gr) = run(&[a, b], Some(g), |t, v| t.matmul_t(v[0], Yes, v[1], Yes));
    approx(&y, &[2, 2], &[23., 31., 34., 46.]);
    approx(&gr[0], &[2, 2], &[5., 17., 6., 20.]);
    approx(&gr[1], &[2, 2], &[5., 11., 2., 4.]); // (A·G)ᵀ
}

#[test]
fn linear_with_and_without_bias() {
    // x: [2, 3], W: [1, 3] (out = 1), b: [1]
    let x = t(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
    let w = t(&[1, 3], &[0.5, -1., 2.]);
    let b = t(&[1], &[0.25]);
    let seed = t(&[2, 1], &[1., 2.]);
    let (y, g) = run(&[x.clone(), w.clone(), b], Some(seed.clone()), |t, v| {
        t.linear(v[0], v[1], Some(v[2]))
    });
    approx(&y, &[2, 1], &[4.75, 9.25]);
    approx(&g[0], &[2, 3], &[0.5, -1., 2., 1., -2., 4.]); // G·W
    approx(&g[1], &[1, 3], &[9., 12., 15.]); // Gᵀ·x
    approx(&g[2], &[1], &[3.]);
    let (y, g) = run(&[x, w], Some(seed), |t, v| t.linear(v[0], v[1], None));
    approx(&y, &[2, 1], &[4.5, 9.]);
    approx(&g[1], &[1, 3], &[9., 12., 15.]);
}

#[test]
fn elementwise_mathematics() {
    let x = t(&[2], &[1., 4.]);
    let (y, g) = run(&[x.clone()], None, |t, v| t.exp(v[0]));
    approx(&y, &[2], &[1f64.exp(), 4f64.exp()]);
    approx(&g[0], &[2], &[1f64.exp(), 4f64.exp()]);
    let (y, g) = run(&[x.clone()], None, |t, v| t.ln(v[0]));
    approx(&y, &[2], &[0., 4f64.ln()]);
    approx(&g[0], &[2], &[1., 0.25]);
    let (y, g) = run(&[x.clone()], None, |t, v| t.sqrt(v[0]));
    approx(&y, &[2], &[1., 2.]);
    approx(&g[0], &[2], &[0.5, 0.25]);
    let (y, g) = run(&[x.clone()], None, |t, v| t.powi(v[0], 3));
    approx(&y, &[2], &[1., 64.]);
    approx(&g[0], &[2], &[3., 48.]);
    let (y, g) = run(&[x.clone()], None, |t, v| t.powi(v[0], -1));
    approx(&y, &[2], &[1., 0.25]);
    approx(&g[0], &[2], &[-1., -1. / 16.]);
    let (y, g) = run(&[x], None, |t, v| t.powf(v[0], 1.5));
    approx(&y, &[2], &[1., 8.]);
    approx(&g[0], &[2], &[1.5, 3.]);
    let z = t(&[4], &[-2., 0., 0.5, 3.]);
    let (y, g) = run(&[z.clone()], None, |t, v| t.abs(v[0]));
    approx(&y, &[4], &[2., 0., 0.5, 3.]);
    approx(&g[0], &[4], &[-1., 0., 1., 1.]);
    let (y, g) = run(&[z.clone()], None, |t, v| t.sign(v[0]));
    approx(&y, &[4], &[-1., 0., 1., 1.]);
    approx(&g[0], &[4], &[0., 0., 0., 0.]);
    let (y, g) = run(&[z], None, |t, v| t.clamp(v[0], -1., 0.5));
    approx(&y, &[4], &[-1., 0., 0.5, 0.5]);
    approx(&g[0], &[4], &[0., 1., 1., 0.]); // the bound itself passes the gradient, as PyTorch
}

/// Regression: `x⁰` had gradient `0·0⁻¹ = NaN` at `x = 0`.
#[test]
fn power_zero_has_zero_gradient_everywhere() {
    let x = t(&[3], &[0., 2., -1.]);
    let (y, g) = run(&[x.clone()], None, |t, v| t.powi(v[0], 0));
    approx(&y, &[3], &[1., 1., 1.]);
    approx(&g[0], &[3], &[0., 0., 0.]);
    let (_, g) = run(&[x], None, |t, v| t.powf(v[0], 0.0));
    approx(&g[0], &[3], &[0., 0., 0.]);
}

#[test]
fn maximum_routes_the_gradient_and_splits_ties() {
    let a = t(&[3], &[1., 5., 2.]);
    let b = t(&[3], &[3., 4., 2.]);
    let (y, g) = run(&[a, b], None, |t, v| t.maximum(v[0], v[1]));
    approx(&y, &[3], &[3., 5., 2.]);
    approx(&g[0], &[3], &[0., 1., 0.5]);
    approx(&g[1], &[3], &[1., 0., 0.5]);
    // broadcast: a scalar threshold against a vector
    let (y, g) = run(&[t(&[3], &[-1., 2., 0.5]), t(&[], &[0.])], None, |t, v| {
        t.maximum(v[0], v[1])
    });
    approx(&y, &[3], &[0., 2., 0.5]);
    approx(&g[0], &[3], &[0., 1., 1.]);
    approx(&g[1], &[], &[1.]);
}

#[test]
fn activations() {
    let x = t(&[3], &[-1., 0.5, 2.]);
    let s = |v: f64| 1. / (1. + (-v).exp());
    let (y, g) = run(&[x.clone()], None, |t, v| t.sigmoid(v[0]));
    approx(&y, &[3], &[s(-1.), s(0.5), s(2.)]);
    approx(
        &g[0],
        &[3],
        &[s(-1.) * s(1.), s(0.5) * s(-0.5), s(2.) * s(-2.)],
    );
    let (y, g) = run(&[x.clone()], None, |t, v| t.tanh(v[0]));
    approx(&y, &[3], &[(-1f64).tanh(), 0.5f64.tanh(), 2f64.tanh()]);
    approx(
        &g[0],
        &[3],
        &[
            1. - (1f64).tanh().powi(2),
            1. - 0.5f64.tanh().powi(2),
            1. - 2f64.tanh().powi(2),
        ],
    );
    let (y, g) = run(&[x.clone()], None, |t, v| t.relu(v[0]));
    approx(&y, &[3], &[0., 0.5, 2.]);
    approx(&g[0], &[3], &[0., 1., 1.]);
    let (y, g) = run(&[x.clone()], None, |t, v| t.leaky_relu(v[0], 0.1));
    approx(&y, &[3], &[-0.1, 0.5, 2.]);
    approx(&g[0], &[3], &[0.1, 1., 1.]);
    let (y, g) = run(&[x], None, |t, v| t.softplus(v[0]));
    approx(
        &y,
        &[3],
        &[
            (1. + (-1f64).exp()).ln(),
            (1. + 0.5f64.exp()).ln(),
            (1. + 2f64.exp()).ln(),
        ],
    );
    approx(&g[0], &[3], &[s(-1.), s(0.5), s(2.)]);
    // relu's subgradient at 0 is 0, as PyTorch
    let (_, g) = run(&[t(&[1], &[0.])], None, |t, v| t.relu(v[0]));
    approx(&g[0], &[1], &[0.]);
}

#[test]
fn reductions() {
    let x = t(&[2, 3], &[1., 5., 3., 4., 2., 6.]);
    let (y, g) = run(&[x.clone()], Some(t(&[], &[2.])), |t, v| t.sum(v[0]));
    approx(&y, &[], &[21.]);
    approx(&g[0], &[2, 3], &[2.; 6]);
    let (y, g) = run(&[x.clone()], None, |t, v| t.mean(v[0]));
    approx(&y, &[], &[3.5]);
    approx(&g[0], &[2, 3], &[1. / 6.; 6]);
    let (y, g) = run(&[x.clone()], Some(t(&[3], &[1., 2., 3.])), |t, v| {
        t.sum_axes(v[0], &[0], false)
    });
    approx(&y, &[3], &[5., 7., 9.]);
    approx(&g[0], &[2, 3], &[1., 2., 3., 1., 2., 3.]);
    let (y, g) = run(&[x.clone()], Some(t(&[2, 1], &[1., 2.])), |t, v| {
        t.sum_axes(v[0], &[1], true)
    });
    approx(&y, &[2, 1], &[9., 12.]);
    approx(&g[0], &[2, 3], &[1., 1., 1., 2., 2., 2.]);
    let (y, g) = run(&[x.clone()], Some(t(&[1, 3], &[3., 6., 9.])), |t, v| {
        t.mean_axes(v[0], &[0], true)
    });
    approx(&y, &[1, 3], &[2.5, 3.5, 4.5]);
    approx(&g[0], &[2, 3], &[1.5, 3., 4.5, 1.5, 3., 4.5]);
    let (y, g) = run(&[x.clone()], Some(t(&[2], &[1., 2.])), |t, v| {
        t.max_axes(v[0], &[1], false)
    });
    approx(&y, &[2], &[5., 6.]);
    approx(&g[0], &[2, 3], &[0., 1., 0., 0., 0., 2.]);
    // ties share the gradient evenly (PyTorch's amax rule)
    let (_, g) = run(&[t(&[4], &[3., 1., 3., 3.])], None, |t, v| {
        t.max_axes(v[0], &[0], false)
    });
    approx(&g[0], &[4], &[1. / 3., 0., 1. / 3., 1. / 3.]);
    let (y, _) = run(&[x], None, |t, v| t.mean_axes(v[0], &[0, 1], false));
    approx(&y, &[], &[3.5]);
}

#[test]
fn shape_operations() {
    let x = t(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
    let seed6 = |s: &[usize]| t(s, &[1., 2., 3., 4., 5., 6.]);
    let (y, g) = run(&[x.clone()], Some(seed6(&[3, 2])), |t, v| {
        t.reshape(v[0], &[3, 2])
    });
    approx(&y, &[3, 2], &[1., 2., 3., 4., 5., 6.]);
    approx(&g[0], &[2, 3], &[1., 2., 3., 4., 5., 6.]);
    let (y, g) = run(&[x.clone()], Some(seed6(&[3, 2])), |t, v| t.transpose(v[0]));
    approx(&y, &[3, 2], &[1., 4., 2., 5., 3., 6.]);
    approx(&g[0], &[2, 3], &[1., 3., 5., 2., 4., 6.]);
    let x3 = Tensor::from_fn(&[2, 1, 3], |ix| (ix[0] * 3 + ix[2]) as f64);
    let (y, g) = run(&[x3], Some(seed6(&[3, 2, 1])), |t, v| {
        t.permute(v[0], &[2, 0, 1])
    });
    approx(&y, &[3, 2, 1], &[0., 3., 1., 4., 2., 5.]);
    approx(&g[0], &[2, 1, 3], &[1., 3., 5., 2., 4., 6.]);
    let (y, g) = run(&[x.clone()], Some(t(&[2, 2], &[1., 2., 3., 4.])), |t, v| {
        t.slice(v[0], 1, 1, 3)
    });
    approx(&y, &[2, 2], &[2., 3., 5., 6.]);
    approx(&g[0], &[2, 3], &[0., 1., 2., 0., 3., 4.]);
    let (y, g) = run(
        &[x.clone(), t(&[1, 3], &[7., 8., 9.])],
        Some(Tensor::from_fn(&[3, 3], |ix| (ix[0] * 3 + ix[1]) as f64)),
        |t, v| t.concat(&[v[0], v[1]], 0),
    );
    approx(&y, &[3, 3], &[1., 2., 3., 4., 5., 6., 7., 8., 9.]);
    approx(&g[0], &[2, 3], &[0., 1., 2., 3., 4., 5.]);
    approx(&g[1], &[1, 3], &[6., 7., 8.]);
    let (y, g) = run(
        &[x.clone()],
        Some(t(&[2, 3], &[1., 10., 100., 2., 20., 200.])),
        |t, v| t.index_select(v[0], 1, &[2, 0, 2]),
    );
    approx(&y, &[2, 3], &[3., 1., 3., 6., 4., 6.]);
    approx(&g[0], &[2, 3], &[10., 0., 101., 20., 0., 202.]); // repeated index 2 adds up
    let (y, g) = run(&[x.clone()], Some(t(&[2, 0], &[])), |t, v| {
        t.index_select(v[0], 1, &[])
    });
    approx(&y, &[2, 0], &[]);
    approx(&g[0], &[2, 3], &[0.; 6]);
    let (y, g) = run(&[x], Some(t(&[2], &[1., 2.])), |t, v| t.pick(v[0], &[2, 0]));
    approx(&y, &[2], &[3., 4.]);
    approx(&g[0], &[2, 3], &[0., 0., 1., 2., 0., 0.]);
}

#[test]
fn softmax_and_log_softmax() {
    // row [0, ln 2]: softmax [1/3, 2/3]
    let x = t(&[1, 2], &[0., 2f64.ln()]);
    let seed = t(&[1, 2], &[1., 0.]);
    let (y, g) = run(&[x.clone()], Some(seed.clone()), |t, v| t.softmax(v[0], 1));
    approx(&y, &[1, 2], &[1. / 3., 2. / 3.]);
    // ∂y₀/∂x = y₀(e₀ − y) = [2/9, −2/9]
    approx(&g[0], &[1, 2], &[2. / 9., -2. / 9.]);
    let (y, g) = run(&[x], Some(seed), |t, v| t.log_softmax(v[0], 1));
    approx(&y, &[1, 2], &[(1f64 / 3.).ln(), (2f64 / 3.).ln()]);
    approx(&g[0], &[1, 2], &[2. / 3., -2. / 3.]); // e₀ − softmax
}

#[test]
fn cross_entropy_mean_sum_and_smoothing() {
    // logits [[0, ln 2], [0, 0]], labels [1, 0]: p = [[1/3, 2/3], [1/2, 1/2]]
    let z = t(&[2, 2], &[0., 2f64.ln(), 0., 0.]);
    let l1 = -(2f64 / 3.).ln();
    let l2 = 2f64.ln();
    let (y, g) = run(&[z.clone()], None, |t, v| {
        t.cross_entropy(v[0], &[1, 0], Reduction::Sum)
    });
    approx(&y, &[], &[l1 + l2]);
    approx(&g[0], &[2, 2], &[1. / 3., -1. / 3., -0.5, 0.5]);
    let (y, g) = run(&[z.clone()], None, |t, v| {
        t.cross_entropy(v[0], &[1, 0], Reduction::Mean)
    });
    approx(&y, &[], &[(l1 + l2) / 2.]);
    approx(&g[0], &[2, 2], &[1. / 6., -1. / 6., -0.25, 0.25]);
    // smoothing ε = 0.2 over C = 2: target = (1−ε)·onehot + ε/C = [0.1, 0.9] / [0.9, 0.1]
    let q = [0.1, 0.9, 0.9, 0.1];
    let lp = [(1f64 / 3.).ln(), (2f64 / 3.).ln(), 0.5f64.ln(), 0.5f64.ln()];
    let want: f64 = -(0..4).map(|i| q[i] * lp[i]).sum::<f64>();
    let (y, g) = run(&[z], None, |t, v| {
        t.cross_entropy_smoothed(v[0], &[1, 0], Reduction::Sum, 0.2)
    });
    approx(&y, &[], &[want]);
    approx(
        &g[0],
        &[2, 2],
        &[1. / 3. - 0.1, 2. / 3. - 0.9, 0.5 - 0.9, 0.5 - 0.1],
    );
}

#[test]
fn mse_mean_and_sum() {
    let p = t(&[2], &[1., 3.]);
    let q = t(&[2], &[0., 5.]);
    let (y, g) = run(&[p.clone(), q.clone()], None, |t, v| {
        t.mse(v[0], v[1], Reduction::Mean)
    });
    approx(&y, &[], &[2.5]);
    approx(&g[0], &[2], &[1., -2.]);
    approx(&g[1], &[2], &[-1., 2.]);
    let (y, g) = run(&[p, q], None, |t, v| t.mse(v[0], v[1], Reduction::Sum));
    approx(&y, &[], &[5.]);
    approx(&g[0], &[2], &[2., -4.]);
}

#[test]
fn custom_op_receives_inputs_output_and_gradient() {
    struct Cube;
    impl CustomOp<f64> for Cube {
        fn name(&self) -> &str {
            "cube"
        }
        fn backward(&self, inputs: &[&T], output: &T, g: &T) -> Result<Vec<Option<T>>> {
            // 3x² = 3y/x; check that the output handed in is the recorded value
            assert_eq!(output, &inputs[0].powi(3));
            Ok(vec![Some(g.mul(&inputs[0].square().scale(3.0))?)])
        }
    }
    let x = t(&[2], &[2., -1.]);
    let (y, g) = run(&[x], Some(t(&[2], &[1., 2.])), |t, v| {
        let value = t.value(v[0])?.powi(3);
        t.custom(&[v[0]], value, Box::new(Cube))
    });
    approx(&y, &[2], &[8., -1.]);
    approx(&g[0], &[2], &[12., 6.]);
}
