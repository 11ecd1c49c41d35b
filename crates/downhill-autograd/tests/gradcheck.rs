//! Finite-difference checks (f64, relative error ≤ 1e-6 through `check_gradients`) of every
//! differentiable op over random small shapes, broadcasting included, 64 cases per op.
//!
//! Each op's output is reduced with a fixed, non-uniform weighting (`Σ wᵢ yᵢ`) rather than a
//! plain sum, so that rules whose error is invisible under a uniform seed (softmax's, for one)
//! are still caught.

use downhill_autograd::{
    CustomOp, GradCheckOptions, Reduction, Result, Tape, Var, check_gradients,
};
use downhill_tensor::{Tensor, Transpose};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

type T = Tensor<f64>;

fn shape(max_nd: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..4, 1..=max_nd)
}

fn tensor_in(shape: Vec<usize>, lo: f64, hi: f64) -> impl Strategy<Value = T> {
    let n: usize = shape.iter().product();
    prop::collection::vec(lo..hi, n).prop_map(move |v| Tensor::from_vec(&shape, v).unwrap())
}

fn any_tensor(lo: f64, hi: f64) -> impl Strategy<Value = T> {
    shape(3).prop_flat_map(move |s| tensor_in(s, lo, hi))
}

/// Values at least `m` away from 0: `v` in `(−hi, hi)` pushed out of `(−m, m)`.
fn away_from_zero(t: T, m: f64) -> T {
    t.map(|v| if v.abs() < m { v + m.copysign(v) } else { v })
}

/// Values on the grid `0.25·k + 0.1`, for ops that must stay away from kinks at multiples of 0.25.
fn grid_tensor(offset: f64) -> impl Strategy<Value = T> {
    shape(3).prop_flat_map(move |s| {
        let n: usize = s.iter().product();
        prop::collection::vec(-8i32..8, n).prop_map(move |v| {
            Tensor::from_vec(&s, v.iter().map(|&k| 0.25 * k as f64 + offset).collect()).unwrap()
        })
    })
}

/// An output shape and an operand shape that broadcasts to it (some axes 1, some leading axes
/// dropped), in random order.
fn bcast_shapes() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    (
        shape(3),
        prop::collection::vec(any::<bool>(), 3),
        0usize..4,
        any::<bool>(),
    )
        .prop_map(|(s, mask, drop, swap)| {
            let b: Vec<usize> = s
                .iter()
                .zip(&mask)
                .map(|(&d, &m)| if m { 1 } else { d })
                .collect();
            let b = b[drop.min(b.len())..].to_vec();
            if swap { (b, s) } else { (s, b) }
        })
}

fn bcast_pair(lo: f64, hi: f64) -> impl Strategy<Value = (T, T)> {
    bcast_shapes().prop_flat_map(move |(a, b)| (tensor_in(a, lo, hi), tensor_in(b, lo, hi)))
}

/// `Σ wᵢ yᵢ` with fixed weights `wᵢ` that differ per position.
fn wsum(t: &mut Tape<f64>, y: Var) -> Result<Var> {
    let shape = t.value(y)?.shape().to_vec();
    let w = Tensor::from_fn(&shape, |ix| {
        let k = ix.iter().fold(0usize, |a, &i| a * 7 + i + 1);
        (k as f64 * 0.7).sin() + 0.3
    });
    let w = t.constant(w);
    let p = t.mul(y, w)?;
    t.sum(p)
}

fn check(
    inputs: &[(&str, T)],
    f: impl Fn(&mut Tape<f64>, &[Var]) -> Result<Var>,
) -> std::result::Result<(), TestCaseError> {
    let report = check_gradients(inputs, GradCheckOptions::default(), |t, v| {
        let y = f(t, v)?;
        wsum(t, y)
    })
    .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(report.max_error() <= 1e-6, "{report:?}");
    prop_assert_eq!(report.errors.len(), inputs.len());
    Ok(())
}

/// `y = a·b²`, with its backward written by hand: the custom-op extension point.
struct MulSquare;

impl CustomOp<f64> for MulSquare {
    fn name(&self) -> &str {
        "mul_square"
    }
    fn backward(&self, inputs: &[&T], _out: &T, g: &T) -> Result<Vec<Option<T>>> {
        let (a, b) = (inputs[0], inputs[1]);
        let ga = g.mul(&b.square())?;
        let gb = g.mul(a)?.mul(b)?.scale(2.0);
        Ok(vec![Some(ga), Some(gb)])
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn add((a, b) in bcast_pair(-2.0, 2.0)) {
        check(&[("a", a), ("b", b)], |t, v| t.add(v[0], v[1]))?;
    }

    #[test]
    fn sub((a, b) in bcast_pair(-2.0, 2.0)) {
        check(&[("a", a), ("b", b)], |t, v| t.sub(v[0], v[1]))?;
    }

    #[test]
    fn mul((a, b) in bcast_pair(-2.0, 2.0)) {
        check(&[("a", a), ("b", b)], |t, v| t.mul(v[0], v[1]))?;
    }

    #[test]
    fn div((a, b) in bcast_pair(-2.0, 2.0)) {
        let b = away_from_zero(b, 0.5);
        check(&[("a", a), ("b", b)], |t, v| t.div(v[0], v[1]))?;
    }

    #[test]
    fn add_sub_mul_with_the_same_operand_twice(a in any_tensor(-2.0, 2.0)) {
        check(&[("a", a)], |t, v| {
            let s = t.add(v[0], v[0])?;
            let p = t.mul(s, v[0])?;
            t.sub(p, v[0])
        })?;
    }

    #[test]
    fn neg(a in any_tensor(-2.0, 2.0)) {
        check(&[("a", a)], |t, v| t.neg(v[0]))?;
    }

    #[test]
    fn scale(a in any_tensor(-2.0, 2.0), c in -3.0f64..3.0) {
        check(&[("a", a)], |t, v| t.scale(v[0], c))?;
    }

    #[test]
    fn add_scalar(a in any_tensor(-2.0, 2.0), c in -3.0f64..3.0) {
        check(&[("a", a)], |t, v| {
            let y = t.add_scalar(v[0], c)?;
            t.mul(y, y)
        })?;
    }

    #[test]
    fn matmul_t_all_transposes(m in 1usize..4, k in 1usize..4, n in 1usize..4, ta: bool, tb: bool,
                               data in prop::collection::vec(-2.0f64..2.0, 18)) {
        let sa = if ta { [k, m] } else { [m, k] };
        let sb = if tb { [n, k] } else { [k, n] };
        let a = Tensor::from_vec(&sa, data[..m * k].to_vec()).unwrap();
        let b = Tensor::from_vec(&sb, data[9..9 + k * n].to_vec()).unwrap();
        let tr = |f: bool| if f { Transpose::Yes } else { Transpose::No };
        check(&[("a", a), ("b", b)], |t, v| t.matmul_t(v[0], tr(ta), v[1], tr(tb)))?;
    }

    #[test]
    fn matmul_t_same_operand_on_both_sides(n in 1usize..4, ta: bool, tb: bool,
                                           data in prop::collection::vec(-2.0f64..2.0, 9)) {
        // both products accumulate into one gradient (through the β = 1 GEMM path)
        let a = Tensor::from_vec(&[n, n], data[..n * n].to_vec()).unwrap();
        let tr = |f: bool| if f { Transpose::Yes } else { Transpose::No };
        check(&[("a", a)], |t, v| {
            let p = t.matmul_t(v[0], tr(ta), v[0], tr(tb))?;
            t.matmul_t(p, Transpose::No, v[0], tr(tb))
        })?;
    }

    #[test]
    fn matmul(m in 1usize..4, k in 1usize..4, n in 1usize..4,
              data in prop::collection::vec(-2.0f64..2.0, 18)) {
        let a = Tensor::from_vec(&[m, k], data[..m * k].to_vec()).unwrap();
        let b = Tensor::from_vec(&[k, n], data[9..9 + k * n].to_vec()).unwrap();
        check(&[("a", a), ("b", b)], |t, v| t.matmul(v[0], v[1]))?;
    }

    #[test]
    fn linear(n in 1usize..4, i in 1usize..4, o in 1usize..4, bias: bool,
              data in prop::collection::vec(-2.0f64..2.0, 21)) {
        let x = Tensor::from_vec(&[n, i], data[..n * i].to_vec()).unwrap();
        let w = Tensor::from_vec(&[o, i], data[9..9 + o * i].to_vec()).unwrap();
        let b = Tensor::from_vec(&[o], data[18..18 + o].to_vec()).unwrap();
        if bias {
            check(&[("x", x), ("w", w), ("b", b)], |t, v| t.linear(v[0], v[1], Some(v[2])))?;
        } else {
            check(&[("x", x), ("w", w)], |t, v| t.linear(v[0], v[1], None))?;
        }
    }

    #[test]
    fn exp(a in any_tensor(-2.0, 2.0)) {
        check(&[("a", a)], |t, v| t.exp(v[0]))?;
    }

    #[test]
    fn ln(a in any_tensor(0.2, 3.0)) {
        check(&[("a", a)], |t, v| t.ln(v[0]))?;
    }

    #[test]
    fn sqrt(a in any_tensor(0.2, 3.0)) {
        check(&[("a", a)], |t, v| t.sqrt(v[0]))?;
    }

    #[test]
    fn powi(a in any_tensor(-2.0, 2.0), n in -2i32..5) {
        let a = away_from_zero(a, 0.5);
        check(&[("a", a)], |t, v| t.powi(v[0], n))?;
    }

    #[test]
    fn powf(a in any_tensor(0.3, 2.0), p in -2.0f64..3.0) {
        check(&[("a", a)], |t, v| t.powf(v[0], p))?;
    }

    #[test]
    fn abs(a in any_tensor(-2.0, 2.0)) {
        let a = away_from_zero(a, 0.05);
        check(&[("a", a)], |t, v| t.abs(v[0]))?;
    }

    #[test]
    fn clamp(a in grid_tensor(0.1)) {
        // bounds −0.6 and 0.7: every grid value 0.25k + 0.1 is ≥ 0.05 away from both
        check(&[("a", a)], |t, v| t.clamp(v[0], -0.6, 0.7))?;
    }

    #[test]
    fn maximum((sa, sb) in bcast_shapes(), seed in prop::collection::vec(-8i32..8, 54)) {
        // a on the grid 0.25k + 0.1, b on 0.25k: never closer than 0.1, so no ties
        let na: usize = sa.iter().product();
        let nb: usize = sb.iter().product();
        let a = Tensor::from_vec(&sa, seed[..na].iter().map(|&k| 0.25 * k as f64 + 0.1).collect()).unwrap();
        let b = Tensor::from_vec(&sb, seed[27..27 + nb].iter().map(|&k| 0.25 * k as f64).collect()).unwrap();
        check(&[("a", a), ("b", b)], |t, v| t.maximum(v[0], v[1]))?;
    }

    #[test]
    fn sigmoid(a in any_tensor(-6.0, 6.0)) {
        check(&[("a", a)], |t, v| t.sigmoid(v[0]))?;
    }

    #[test]
    fn tanh(a in any_tensor(-4.0, 4.0)) {
        check(&[("a", a)], |t, v| t.tanh(v[0]))?;
    }

    #[test]
    fn relu(a in any_tensor(-2.0, 2.0)) {
        let a = away_from_zero(a, 0.05);
        check(&[("a", a)], |t, v| t.relu(v[0]))?;
    }

    #[test]
    fn leaky_relu(a in any_tensor(-2.0, 2.0), slope in 0.0f64..0.5) {
        let a = away_from_zero(a, 0.05);
        check(&[("a", a)], |t, v| t.leaky_relu(v[0], slope))?;
    }

    #[test]
    fn softplus(a in any_tensor(-6.0, 6.0)) {
        check(&[("a", a)], |t, v| t.softplus(v[0]))?;
    }

    #[test]
    fn sum_and_mean(a in any_tensor(-2.0, 2.0)) {
        check(&[("a", a.clone())], |t, v| t.sum(v[0]))?;
        check(&[("a", a)], |t, v| t.mean(v[0]))?;
    }

    #[test]
    fn sum_axes_and_mean_axes(a in any_tensor(-2.0, 2.0), mask in prop::collection::vec(any::<bool>(), 3), keepdims: bool) {
        let axes: Vec<usize> = (0..a.ndim()).filter(|&i| mask[i]).collect();
        check(&[("a", a.clone())], |t, v| t.sum_axes(v[0], &axes, keepdims))?;
        check(&[("a", a)], |t, v| t.mean_axes(v[0], &axes, keepdims))?;
    }

    #[test]
    fn max_axes(s in shape(3), mask in prop::collection::vec(any::<bool>(), 3), keepdims: bool, seed: u64) {
        // distinct values: a shuffled 0.3-spaced ladder, so no lane has ties
        let n: usize = s.iter().product();
        let mut idx: Vec<usize> = (0..n).collect();
        let mut state = seed | 1;
        for i in (1..n).rev() {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;
            idx.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let a = Tensor::from_vec(&s, idx.iter().map(|&k| 0.3 * k as f64 - 1.0).collect()).unwrap();
        let axes: Vec<usize> = (0..a.ndim()).filter(|&i| mask[i]).collect();
        check(&[("a", a)], |t, v| t.max_axes(v[0], &axes, keepdims))?;
    }

    #[test]
    fn reshape(a in any_tensor(-2.0, 2.0), how in 0usize..3) {
        let n = a.len();
        let mut rev = a.shape().to_vec();
        rev.reverse();
        let target = match how { 0 => vec![n], 1 => vec![1, n], _ => rev };
        check(&[("a", a)], |t, v| t.reshape(v[0], &target))?;
    }

    #[test]
    fn permute((a, perm) in any_tensor(-2.0, 2.0).prop_flat_map(|a| {
        let nd = a.ndim();
        (Just(a), Just((0..nd).collect::<Vec<usize>>()).prop_shuffle())
    })) {
        check(&[("a", a)], |t, v| t.permute(v[0], &perm))?;
    }

    #[test]
    fn transpose(a in (1usize..4, 1usize..4).prop_flat_map(|(r, c)| tensor_in(vec![r, c], -2.0, 2.0))) {
        check(&[("a", a)], |t, v| t.transpose(v[0]))?;
    }

    #[test]
    fn slice((a, axis, start, end) in any_tensor(-2.0, 2.0).prop_flat_map(|a| {
        let nd = a.ndim();
        (Just(a), 0..nd)
    }).prop_flat_map(|(a, axis)| {
        let len = a.shape()[axis];
        (Just(a), Just(axis), 0..=len)
    }).prop_flat_map(|(a, axis, start)| {
        let len = a.shape()[axis];
        (Just(a), Just(axis), Just(start), start..=len)
    })) {
        check(&[("a", a)], |t, v| t.slice(v[0], axis, start, end))?;
    }

    #[test]
    fn concat(s in shape(3), axis_seed in 0usize..3, lens in prop::collection::vec(1usize..4, 1..4),
              data in prop::collection::vec(-2.0f64..2.0, 81)) {
        let axis = axis_seed % s.len();
        let parts: Vec<T> = lens.iter().enumerate().map(|(p, &l)| {
            let mut sp = s.clone();
            sp[axis] = l;
            let n: usize = sp.iter().product();
            Tensor::from_vec(&sp, data[p * 27..p * 27 + n].to_vec()).unwrap()
        }).collect();
        let names = ["p0", "p1", "p2"];
        let inputs: Vec<(&str, T)> = names.iter().copied().zip(parts).collect();
        check(&inputs, |t, v| t.concat(v, axis))?;
    }

    #[test]
    fn index_select_with_repeats((a, axis, indices) in any_tensor(-2.0, 2.0).prop_flat_map(|a| {
        let nd = a.ndim();
        (Just(a), 0..nd)
    }).prop_flat_map(|(a, axis)| {
        let len = a.shape()[axis];
        (Just(a), Just(axis), prop::collection::vec(0..len, 1..6))
    })) {
        check(&[("a", a)], |t, v| t.index_select(v[0], axis, &indices))?;
    }

    #[test]
    fn pick((a, idx) in (1usize..4, 1usize..4).prop_flat_map(|(n, c)| {
        (tensor_in(vec![n, c], -2.0, 2.0), prop::collection::vec(0..c, n))
    })) {
        check(&[("a", a)], |t, v| t.pick(v[0], &idx))?;
    }

    #[test]
    fn softmax_and_log_softmax((a, axis) in any_tensor(-3.0, 3.0).prop_flat_map(|a| {
        let nd = a.ndim();
        (Just(a), 0..nd)
    })) {
        check(&[("a", a.clone())], |t, v| t.softmax(v[0], axis))?;
        check(&[("a", a)], |t, v| t.log_softmax(v[0], axis))?;
    }

    #[test]
    fn cross_entropy((z, labels) in (1usize..4, 1usize..5).prop_flat_map(|(n, c)| {
        (tensor_in(vec![n, c], -3.0, 3.0), prop::collection::vec(0..c, n))
    }), sum: bool, smoothing in prop_oneof![Just(0.0), Just(0.1), 0.0f64..1.0]) {
        let reduction = if sum { Reduction::Sum } else { Reduction::Mean };
        check(&[("z", z)], |t, v| {
            let l = t.cross_entropy_smoothed(v[0], &labels, reduction, smoothing)?;
            t.scale(l, 1.7)
        })?;
    }

    #[test]
    fn mse((p, q) in shape(3).prop_flat_map(|s| (tensor_in(s.clone(), -2.0, 2.0), tensor_in(s, -2.0, 2.0))), sum: bool) {
        let reduction = if sum { Reduction::Sum } else { Reduction::Mean };
        check(&[("pred", p), ("target", q)], |t, v| {
            let l = t.mse(v[0], v[1], reduction)?;
            t.scale(l, 0.9)
        })?;
    }

    #[test]
    fn custom_op(s in shape(3), data in prop::collection::vec(-2.0f64..2.0, 54)) {
        let n: usize = s.iter().product();
        let a = Tensor::from_vec(&s, data[..n].to_vec()).unwrap();
        let b = Tensor::from_vec(&s, data[27..27 + n].to_vec()).unwrap();
        check(&[("a", a), ("b", b)], |t, v| {
            let value = t.value(v[0])?.mul(&t.value(v[1])?.square())?;
            t.custom(&[v[0], v[1]], value, Box::new(MulSquare))
        })?;
    }
}

/// The checker itself fails on a wrong backward rule (so the checks above can fail).
#[test]
fn gradient_checker_rejects_a_wrong_backward() {
    struct Wrong;
    impl CustomOp<f64> for Wrong {
        fn name(&self) -> &str {
            "wrong"
        }
        fn backward(&self, _i: &[&T], _o: &T, g: &T) -> Result<Vec<Option<T>>> {
            Ok(vec![Some(g.scale(2.0 + 1e-5))]) // the true derivative of 2x is 2
        }
    }
    let x = Tensor::from_vec(&[3], vec![0.5, -1.0, 2.0]).unwrap();
    let err = check_gradients(&[("x", x)], GradCheckOptions::default(), |t, v| {
        let y = t.value(v[0])?.scale(2.0);
        let y = t.custom(&[v[0]], y, Box::new(Wrong))?;
        t.sum(y)
    })
    .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("gradient check failed for x"), "{msg}");
}
