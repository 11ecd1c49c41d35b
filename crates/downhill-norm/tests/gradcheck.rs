//! Finite-difference checks of the fused backward kernels (f64, proptest, small shapes).

use downhill_autograd::{GradCheckOptions, Tape, Var, check_gradients};
use downhill_norm::{Statistics, batch_norm, layer_norm};
use downhill_tensor::Tensor;
use proptest::prelude::*;

fn options() -> GradCheckOptions {
    GradCheckOptions {
        step: 1e-6,
        tolerance: 1e-6,
    }
}

/// A tensor of `shape` with entries in [-3, 3].
fn tensor(shape: Vec<usize>) -> impl Strategy<Value = Tensor<f64>> {
    let n: usize = shape.iter().product();
    prop::collection::vec(-3.0f64..3.0, n).prop_map(move |v| Tensor::from_vec(&shape, v).unwrap())
}

/// `[N, C, *]` shapes with at least 2 values per channel.
fn bn_shape() -> impl Strategy<Value = Vec<usize>> {
    (2usize..5, 1usize..4, prop::collection::vec(1usize..3, 0..3)).prop_map(|(n, c, rest)| {
        let mut s = vec![n, c];
        s.extend(rest);
        s
    })
}

/// A weighted sum, so that the seed gradient is not constant (Σy alone has dx = 0).
fn weighted_sum(t: &mut Tape<f64>, y: Var, w: Var) -> downhill_autograd::Result<Var> {
    let yw = t.mul(y, w)?;
    t.sum(yw)
}

fn to_autograd(e: downhill_norm::NormError) -> downhill_autograd::AutogradError {
    downhill_autograd::AutogradError::Custom {
        op: "test".into(),
        message: e.to_string(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn batch_norm_training_backward_matches_finite_differences(
        (x, w, gamma, beta, eps) in bn_shape().prop_flat_map(|s| {
            let c = s[1];
            (tensor(s.clone()), tensor(s), tensor(vec![c]), tensor(vec![c]), 1e-3f64..0.5)
        })
    ) {
        let inputs = [("x", x), ("w", w), ("gamma", gamma), ("beta", beta)];
        let report = check_gradients(&inputs, options(), |t, v| {
            let (y, _) = batch_norm(t, v[0], Some(v[2]), Some(v[3]), Statistics::Batch, eps)
                .map_err(to_autograd)?;
            weighted_sum(t, y, v[1])
        });
        prop_assert!(report.is_ok(), "{:?}", report);
    }

    #[test]
    fn batch_norm_eval_and_no_affine_backward_matches_finite_differences(
        (x, w, mean, var) in bn_shape().prop_flat_map(|s| {
            let c = s[1];
            (tensor(s.clone()), tensor(s), tensor(vec![c]), prop::collection::vec(0.1f64..4.0, c))
        })
    ) {
        let inputs = [("x", x), ("w", w)];
        let report = check_gradients(&inputs, options(), |t, v| {
            let running = Statistics::Running { mean: mean.as_slice(), var: &var };
            let (y, _) = batch_norm(t, v[0], None, None, running, 1e-5).map_err(to_autograd)?;
            let (z, _) = batch_norm(t, y, None, None, Statistics::Batch, 1e-2).map_err(to_autograd)?;
            weighted_sum(t, z, v[1])
        });
        prop_assert!(report.is_ok(), "{:?}", report);
    }

    #[test]
    fn layer_norm_backward_matches_finite_differences(
        (x, w, gamma, beta, k, eps) in (1usize..4, prop::collection::vec(1usize..4, 1..4))
            .prop_flat_map(|(k, s)| {
                let k = k.min(s.len());
                let ns = s[s.len() - k..].to_vec();
                (tensor(s.clone()), tensor(s), tensor(ns.clone()), tensor(ns), Just(k), 1e-3f64..0.5)
            })
    ) {
        let shape = x.shape().to_vec();
        let ns = shape[shape.len() - k..].to_vec();
        let inputs = [("x", x), ("w", w), ("gamma", gamma), ("beta", beta)];
        let report = check_gradients(&inputs, options(), |t, v| {
            let y = layer_norm(t, v[0], &ns, Some(v[2]), Some(v[3]), eps).map_err(to_autograd)?;
            weighted_sum(t, y, v[1])
        });
        prop_assert!(report.is_ok(), "{:?}", report);
    }

    #[test]
    fn layer_norm_without_bias_or_affine_matches_finite_differences(
        (x, w, gamma) in prop::collection::vec(1usize..4, 1..3).prop_flat_map(|s| {
            let d = *s.last().unwrap();
            (tensor(s.clone()), tensor(s), tensor(vec![d]))
        })
    ) {
        let d = *x.shape().last().unwrap();
        let inputs = [("x", x), ("w", w), ("gamma", gamma)];
        let report = check_gradients(&inputs, options(), |t, v| {
            let y = layer_norm(t, v[0], &[d], Some(v[2]), None, 0.01).map_err(to_autograd)?;
            let z = layer_norm(t, y, &[d], None, None, 0.1).map_err(to_autograd)?;
            weighted_sum(t, z, v[1])
        });
        prop_assert!(report.is_ok(), "{:?}", report);
    }
}

#[test]
fn hand_computed_batch_norm_gradient() {
    // x = [[0], [2]] (one channel): μ = 1, σ² = 1, x̂ = [−1, 1], γ = 2, β = 0.5, ε = 0,
    // so y = γ·x̂ + β = [−1.5, 2.5]. With g = [1, 0]: Σg = 1, Σg·x̂ = −1.
    let mut tape = Tape::<f64>::new();
    let x = tape.input(Tensor::from_vec(&[2, 1], vec![0.0, 2.0]).unwrap());
    let gamma = tape.input(Tensor::from_vec(&[1], vec![2.0]).unwrap());
    let beta = tape.input(Tensor::from_vec(&[1], vec![0.5]).unwrap());
    let (y, stats) = batch_norm(
        &mut tape,
        x,
        Some(gamma),
        Some(beta),
        Statistics::Batch,
        0.0,
    )
    .unwrap();
    assert_eq!(tape.value(y).unwrap().as_slice(), &[-1.5, 2.5]);
    assert_eq!((stats.mean[0], stats.var[0]), (1.0, 1.0));
    tape.backward_with_seed(y, Tensor::from_vec(&[2, 1], vec![1.0, 0.0]).unwrap())
        .unwrap();
    // dx = γ·inv_std/M · (M·g − Σg − x̂·Σ(g·x̂)) = 1·([2, 0] − 1 − [−1, 1]·(−1)) = [0, 0]
    assert_eq!(tape.grad(x).unwrap().unwrap().as_slice(), &[0.0, 0.0]);
    assert_eq!(tape.grad(gamma).unwrap().unwrap().as_slice(), &[-1.0]);
    assert_eq!(tape.grad(beta).unwrap().unwrap().as_slice(), &[1.0]);
}

#[test]
fn hand_computed_layer_norm_gradient() {
    // One row x = [1, 3]: μ = 2, σ² = 1, x̂ = [−1, 1]; γ = [1, 2], β = [0, 1], ε = 0.
    let mut tape = Tape::<f64>::new();
    let x = tape.input(Tensor::from_vec(&[1, 2], vec![1.0, 3.0]).unwrap());
    let gamma = tape.input(Tensor::from_vec(&[2], vec![1.0, 2.0]).unwrap());
    let beta = tape.input(Tensor::from_vec(&[2], vec![0.0, 1.0]).unwrap());
    let y = layer_norm(&mut tape, x, &[2], Some(gamma), Some(beta), 0.0).unwrap();
    assert_eq!(tape.value(y).unwrap().as_slice(), &[-1.0, 3.0]);
    tape.backward_with_seed(y, Tensor::from_vec(&[1, 2], vec![1.0, 0.0]).unwrap())
        .unwrap();
    // ĝ = g⊙γ = [1, 0]; Σĝ = 1; Σĝ·x̂ = −1; dx = (1/2)(2ĝ − 1 − x̂·(−1)) = [0, 0].
    assert_eq!(tape.grad(x).unwrap().unwrap().as_slice(), &[0.0, 0.0]);
    assert_eq!(tape.grad(gamma).unwrap().unwrap().as_slice(), &[-1.0, 0.0]);
    assert_eq!(tape.grad(beta).unwrap().unwrap().as_slice(), &[1.0, 0.0]);
}
