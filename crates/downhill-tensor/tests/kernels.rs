//! Hand-computed unit tests of the tensor kernels, and property tests against naive loops.

use downhill_tensor::ndarray::{Array2, s};
use downhill_tensor::{Tensor, Transpose, broadcast_shape, reduced_shape};
use proptest::prelude::*;

fn t(shape: &[usize], data: &[f64]) -> Tensor<f64> {
    Tensor::from_vec(shape, data.to_vec()).unwrap()
}

#[test]
fn constructors_and_accessors() {
    let a = t(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
    assert_eq!(a.shape(), &[2, 3]);
    assert_eq!((a.ndim(), a.len(), a.is_empty()), (2, 6, false));
    assert_eq!(a.get(&[1, 2]), Some(6.0));
    assert_eq!(a.get(&[2, 0]), None);
    assert_eq!(Tensor::<f32>::zeros(&[2]).as_slice(), &[0.0, 0.0]);
    assert_eq!(Tensor::<f32>::ones(&[2]).as_slice(), &[1.0, 1.0]);
    assert_eq!(Tensor::<f64>::scalar(2.5).item().unwrap(), 2.5);
    assert_eq!(Tensor::<f64>::scalar(2.5).shape(), &[] as &[usize]);
    let f = Tensor::<f64>::from_fn(&[2, 2], |ix| (ix[0] * 10 + ix[1]) as f64);
    assert_eq!(f.as_slice(), &[0., 1., 10., 11.]);
    let c: Tensor<f32> = a.cast();
    assert_eq!(c.as_slice(), &[1., 2., 3., 4., 5., 6.]);
    assert!(a.all_finite());
    assert!(!t(&[1], &[f64::NAN]).all_finite());
}

#[test]
fn from_array_copies_non_standard_layouts_into_row_major() {
    let a = Array2::from_shape_vec((2, 3), vec![1., 2., 3., 4., 5., 6.]).unwrap();
    let tt = Tensor::from_array(a.reversed_axes());
    assert_eq!(tt.shape(), &[3, 2]);
    assert_eq!(tt.as_slice(), &[1., 4., 2., 5., 3., 6.]);
}

/// Regression: `into_vec` (and so `reshape`) returned the whole backing buffer of an array that
/// was a contiguous window of a larger one.
#[test]
fn into_vec_and_reshape_of_a_sliced_array_keep_only_its_elements() {
    let mut a = Array2::from_shape_vec((3, 2), vec![1., 2., 3., 4., 5., 6.]).unwrap();
    a.slice_collapse(s![1..3, ..]);
    let tt = Tensor::from_array(a);
    assert_eq!(tt.as_slice(), &[3., 4., 5., 6.]);
    assert_eq!(tt.clone().into_vec(), vec![3., 4., 5., 6.]);
    let r = tt.reshape(&[4]).unwrap();
    assert_eq!(r.as_slice(), &[3., 4., 5., 6.]);
}

#[test]
fn reshape_keeps_order() {
    let a = t(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
    let b = a.reshaped(&[3, 2]).unwrap();
    assert_eq!(b.shape(), &[3, 2]);
    assert_eq!(b.as_slice(), a.as_slice());
    assert_eq!(a.into_vec(), vec![1., 2., 3., 4., 5., 6.]);
}

#[test]
fn elementwise_with_broadcasting_by_hand() {
    let a = t(&[2, 2], &[1., 2., 3., 4.]);
    let row = t(&[2], &[10., 20.]);
    let col = t(&[2, 1], &[100., 200.]);
    assert_eq!(a.add(&row).unwrap().as_slice(), &[11., 22., 13., 24.]);
    assert_eq!(a.sub(&col).unwrap().as_slice(), &[-99., -98., -197., -196.]);
    assert_eq!(a.mul(&row).unwrap().as_slice(), &[10., 40., 30., 80.]);
    assert_eq!(a.div(&row).unwrap().as_slice(), &[0.1, 0.1, 0.3, 0.2]);
    assert_eq!(row.sub(&a).unwrap().as_slice(), &[9., 18., 7., 16.]);
    let outer = row.add(&col).unwrap();
    assert_eq!(outer.shape(), &[2, 2]);
    assert_eq!(outer.as_slice(), &[110., 120., 210., 220.]);
    let sc = a.mul(&Tensor::scalar(2.0)).unwrap();
    assert_eq!(sc.as_slice(), &[2., 4., 6., 8.]);
    assert_eq!(
        a.maximum(&t(&[2], &[2.5, 0.])).unwrap().as_slice(),
        &[2.5, 2., 3., 4.]
    );
    assert_eq!(
        a.minimum(&t(&[2], &[2.5, 0.])).unwrap().as_slice(),
        &[1., 0., 2.5, 0.]
    );
    assert_eq!(a.scale(0.5).as_slice(), &[0.5, 1., 1.5, 2.]);
    assert_eq!(a.add_scalar(1.0).as_slice(), &[2., 3., 4., 5.]);
}

#[test]
fn in_place_arithmetic() {
    let mut a = t(&[2, 2], &[1., 2., 3., 4.]);
    a.add_assign(&t(&[2], &[1., 1.])).unwrap();
    assert_eq!(a.as_slice(), &[2., 3., 4., 5.]);
    a.sub_assign(&t(&[2, 2], &[1., 1., 1., 1.])).unwrap();
    a.mul_assign(&t(&[2, 1], &[2., 3.])).unwrap();
    assert_eq!(a.as_slice(), &[2., 4., 9., 12.]);
    a.div_assign(&t(&[2, 2], &[2., 4., 9., 12.])).unwrap();
    assert_eq!(a.as_slice(), &[1., 1., 1., 1.]);
    a.scaled_add(2.0, &t(&[2, 2], &[1., 2., 3., 4.])).unwrap();
    assert_eq!(a.as_slice(), &[3., 5., 7., 9.]);
    a.scale_inplace(2.0);
    assert_eq!(a.as_slice(), &[6., 10., 14., 18.]);
    a.fill(0.5);
    assert_eq!(a.as_slice(), &[0.5; 4]);
    a.assign(&t(&[2, 2], &[4., 3., 2., 1.])).unwrap();
    assert_eq!(a.as_slice(), &[4., 3., 2., 1.]);
    assert_eq!(a.max_abs_diff(&t(&[2, 2], &[4., 3., 2., 3.])).unwrap(), 2.0);
}

#[test]
fn broadcast_shape_rules() {
    assert_eq!(
        broadcast_shape("add", &[4, 1, 3], &[5, 1]).unwrap(),
        vec![4, 5, 3]
    );
    assert_eq!(broadcast_shape("add", &[], &[2, 3]).unwrap(), vec![2, 3]);
    assert_eq!(
        broadcast_shape("add", &[0, 3], &[1, 3]).unwrap(),
        vec![0, 3]
    );
    assert!(broadcast_shape("add", &[2, 3], &[3, 2]).is_err());
}

#[test]
fn sum_to_shape_undoes_broadcasting() {
    let g = t(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
    assert_eq!(g.sum_to_shape(&[3]).unwrap().as_slice(), &[5., 7., 9.]);
    let c = g.sum_to_shape(&[2, 1]).unwrap();
    assert_eq!((c.shape(), c.as_slice()), (&[2, 1][..], &[6., 15.][..]));
    let r = g.sum_to_shape(&[1, 3]).unwrap();
    assert_eq!((r.shape(), r.as_slice()), (&[1, 3][..], &[5., 7., 9.][..]));
    assert_eq!(g.sum_to_shape(&[]).unwrap().item().unwrap(), 21.0);
    assert_eq!(g.sum_to_shape(&[1]).unwrap().as_slice(), &[21.0]);
    assert_eq!(g.sum_to_shape(&[2, 3]).unwrap(), g);
}

#[test]
fn matmul_all_transposes_by_hand() {
    // A = [[1,2,3],[4,5,6]], B = [[1,0],[0,1],[1,1]]
    let a = t(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
    let b = t(&[3, 2], &[1., 0., 0., 1., 1., 1.]);
    let ab = [4., 5., 10., 11.];
    assert_eq!(a.matmul(&b).unwrap().as_slice(), &ab);
    let at = t(&[3, 2], &[1., 4., 2., 5., 3., 6.]);
    let bt = t(&[2, 3], &[1., 0., 1., 0., 1., 1.]);
    use Transpose::{No, Yes};
    assert_eq!(at.matmul_t(Yes, &b, No).unwrap().as_slice(), &ab);
    assert_eq!(a.matmul_t(No, &bt, Yes).unwrap().as_slice(), &ab);
    assert_eq!(at.matmul_t(Yes, &bt, Yes).unwrap().as_slice(), &ab);
    // gemm accumulates: C ← 2·AB + 1·C
    let mut c = t(&[2, 2], &[1., 1., 1., 1.]);
    c.gemm(2.0, &a, No, &b, No, 1.0).unwrap();
    assert_eq!(c.as_slice(), &[9., 11., 21., 23.]);
    c.gemm(1.0, &at, Yes, &bt, Yes, 0.0).unwrap();
    assert_eq!(c.as_slice(), &ab);
}

#[test]
fn matmul_with_empty_inner_dimension_is_zero() {
    let a = Tensor::<f64>::zeros(&[2, 0]);
    let b = Tensor::<f64>::zeros(&[0, 3]);
    let c = a.matmul(&b).unwrap();
    assert_eq!(c.shape(), &[2, 3]);
    assert!(c.as_slice().iter().all(|&x| x == 0.0));
}

#[test]
fn reductions_by_hand() {
    let a = t(&[2, 3], &[1., 5., 3., 4., 2., 6.]);
    assert_eq!(a.sum(), 21.0);
    assert_eq!(a.mean(), 3.5);
    assert_eq!(a.max_value(), 6.0);
    assert_eq!(a.sum_axes(&[0], false).unwrap().as_slice(), &[5., 7., 9.]);
    let k = a.sum_axes(&[1], true).unwrap();
    assert_eq!((k.shape(), k.as_slice()), (&[2, 1][..], &[9., 12.][..]));
    assert_eq!(a.sum_axes(&[0, 1], false).unwrap().shape(), &[] as &[usize]);
    assert_eq!(a.sum_axes(&[1, 0, 1], true).unwrap().as_slice(), &[21.0]);
    assert_eq!(a.sum_axes(&[], false).unwrap(), a);
    assert_eq!(
        a.mean_axes(&[0], false).unwrap().as_slice(),
        &[2.5, 3.5, 4.5]
    );
    assert_eq!(a.mean_axes(&[0, 1], true).unwrap().shape(), &[1, 1]);
    assert_eq!(a.max_axes(&[1], false).unwrap().as_slice(), &[5., 6.]);
    assert_eq!(a.max_axes(&[0], true).unwrap().as_slice(), &[4., 5., 6.]);
    let am = a.argmax(1).unwrap();
    assert_eq!(am.iter().copied().collect::<Vec<_>>(), vec![1, 2]);
    // ties: the first index, as torch.argmax
    let tie = t(&[3], &[2., 7., 7.]);
    assert_eq!(
        tie.argmax(0).unwrap().iter().copied().collect::<Vec<_>>(),
        vec![1]
    );
    assert_eq!(t(&[2], &[3., 4.]).norm_l2(), 5.0);
    assert_eq!(reduced_shape(&[2, 3, 4], &[1], true), vec![2, 1, 4]);
    assert_eq!(reduced_shape(&[2, 3, 4], &[0, 2], false), vec![3]);
    assert!(t(&[2], &[1., f64::NAN]).max_value().is_nan());
}

#[test]
fn unary_kernels_by_hand() {
    let a = t(&[4], &[1., 4., 0.25, 2.]);
    assert_eq!(a.sqrt().as_slice(), &[1., 2., 0.5, 2f64.sqrt()]);
    assert_eq!(a.ln().as_slice(), &[0., 4f64.ln(), 0.25f64.ln(), 2f64.ln()]);
    assert_eq!(
        a.exp().as_slice(),
        &[1f64.exp(), 4f64.exp(), 0.25f64.exp(), 2f64.exp()]
    );
    assert_eq!(a.recip().as_slice(), &[1., 0.25, 4., 0.5]);
    assert_eq!(a.square().as_slice(), &[1., 16., 0.0625, 4.]);
    assert_eq!(a.powi(3).as_slice(), &[1., 64., 0.015625, 8.]);
    assert_eq!(a.powf(0.5).as_slice(), a.sqrt().as_slice());
    let b = t(&[4], &[-2., 0., -0.0, 3.]);
    assert_eq!(b.abs().as_slice(), &[2., 0., 0., 3.]);
    assert_eq!(b.neg().as_slice(), &[2., -0., 0., -3.]);
    assert_eq!(b.sign().as_slice(), &[-1., 0., 0., 1.]);
    assert_eq!(b.clamp(-1., 1.).unwrap().as_slice(), &[-1., 0., 0., 1.]);
    let mut c = b.clone();
    c.exp_inplace();
    assert_eq!(c, b.exp());
    c.clamp_inplace(0.5, 2.0).unwrap();
    assert_eq!(c.as_slice(), &[0.5, 1., 1., 2.]);
}

#[test]
fn activations_by_hand() {
    let x = t(&[4], &[-2., 0., 1., 3.]);
    let s = |v: f64| 1.0 / (1.0 + (-v).exp());
    let sig = x.sigmoid();
    for (o, &v) in sig.as_slice().iter().zip(x.as_slice()) {
        assert!((o - s(v)).abs() < 1e-15);
    }
    for (o, &v) in x.sigmoid_grad().as_slice().iter().zip(x.as_slice()) {
        assert!((o - s(v) * (1.0 - s(v))).abs() < 1e-15);
    }
    for (o, &v) in x.tanh_grad().as_slice().iter().zip(x.as_slice()) {
        assert!((o - (1.0 - v.tanh().powi(2))).abs() < 1e-15);
    }
    for (o, &v) in x.softplus().as_slice().iter().zip(x.as_slice()) {
        assert!((o - (1.0 + v.exp()).ln()).abs() < 1e-15);
    }
    assert_eq!(x.softplus_grad(), x.sigmoid());
    assert_eq!(x.relu().as_slice(), &[0., 0., 1., 3.]);
    assert_eq!(x.relu_grad().as_slice(), &[0., 0., 1., 1.]);
    assert_eq!(x.leaky_relu(0.1).as_slice(), &[-0.2, 0., 1., 3.]);
    assert_eq!(x.leaky_relu_grad(0.1).as_slice(), &[0.1, 0.1, 1., 1.]);
    let mut y = x.clone();
    y.relu_inplace();
    assert_eq!(y, x.relu());
    let mut y = x.clone();
    y.sigmoid_inplace();
    assert_eq!(y, x.sigmoid());
    let mut y = x.clone();
    y.tanh_inplace();
    assert_eq!(y, x.tanh());
    let mut y = x.clone();
    y.softplus_inplace();
    assert_eq!(y, x.softplus());
    let mut y = x.clone();
    y.leaky_relu_inplace(0.1);
    assert_eq!(y, x.leaky_relu(0.1));
}

/// The `_into` activations write exactly what the allocating ones return (bitwise, in f32
/// where tanh takes the vectorized path, and f64), overwrite stale output buffers, leave the
/// input alone, and reject a wrong-shaped output without writing to it.
#[test]
fn activations_into_match_the_allocating_versions_bitwise() {
    fn check<E: downhill_tensor::Element>(x: &Tensor<E>) {
        let bits = |t: &Tensor<E>| {
            t.as_slice()
                .iter()
                .map(|v| v.as_f64().to_bits())
                .collect::<Vec<_>>()
        };
        let x0 = x.clone();
        let stale = || Tensor::<E>::full(x.shape(), E::of(7.5));
        let mut out = stale();
        x.tanh_into(&mut out).unwrap();
        assert_eq!(bits(&out), bits(&x.tanh()));
        let (mut out, mut d) = (stale(), stale());
        x.tanh_with_grad_into(&mut out, &mut d).unwrap();
        assert_eq!(bits(&out), bits(&x.tanh()));
        // The derivative from the shared exponential: the separate kernel's value to the last
        // few bits (bitwise in f64, where both are the scalar `tanh_grad`).
        for (&got, &want) in d.as_slice().iter().zip(x.tanh_grad().as_slice()) {
            let (got, want) = (got.as_f64(), want.as_f64());
            if std::mem::size_of::<E>() == 8 {
                assert_eq!(got.to_bits(), want.to_bits());
            } else {
                assert!(
                    (got - want).abs() <= 8.0 * f64::from(f32::EPSILON) * want,
                    "{got} {want}"
                );
            }
        }
        let mut out = stale();
        x.sigmoid_into(&mut out).unwrap();
        assert_eq!(bits(&out), bits(&x.sigmoid()));
        let mut out = stale();
        x.relu_into(&mut out).unwrap();
        assert_eq!(bits(&out), bits(&x.relu()));
        let mut out = stale();
        x.leaky_relu_into(&mut out, E::of(0.1)).unwrap();
        assert_eq!(bits(&out), bits(&x.leaky_relu(E::of(0.1))));
        let mut out = stale();
        x.softplus_into(&mut out).unwrap();
        assert_eq!(bits(&out), bits(&x.softplus()));
        assert_eq!(bits(x), bits(&x0));
        let mut wrong = Tensor::<E>::full(&[x.len() + 1], E::of(7.5));
        let mut wrong2 = Tensor::<E>::full(&[x.len() + 1], E::of(7.5));
        let e = x.tanh_into(&mut wrong).unwrap_err().to_string();
        assert!(e.contains("tanh_into"), "{e}");
        assert!(x.relu_into(&mut wrong).is_err());
        assert!(x.tanh_with_grad_into(&mut stale(), &mut wrong2).is_err());
        assert!(wrong.as_slice().iter().all(|v| v.as_f64() == 7.5));
    }
    // 37 values: several 8-lane vectors and a remainder, through ±30 and the special values.
    let mut v: Vec<f64> = (0..33).map(|i| (i as f64 - 16.0) * 1.9).collect();
    v.extend([0.0, -0.0, 1e-30, f64::INFINITY]);
    check(&Tensor::<f64>::from_vec(&[37], v.clone()).unwrap());
    check(&Tensor::<f32>::from_vec(&[37], v.iter().map(|&x| x as f32).collect()).unwrap());
}

#[test]
fn softmax_and_log_softmax_by_hand() {
    let x = t(&[2, 2], &[0., 2f64.ln(), 1., 1.]);
    let sm = x.softmax(1).unwrap();
    let want = [1. / 3., 2. / 3., 0.5, 0.5];
    assert!(
        sm.as_slice()
            .iter()
            .zip(want)
            .all(|(a, b)| (a - b).abs() < 1e-15)
    );
    let lsm = x.log_softmax(1).unwrap();
    assert!(
        lsm.as_slice()
            .iter()
            .zip(want)
            .all(|(a, b)| (a - b.ln()).abs() < 1e-15)
    );
    // along axis 0 (non-contiguous lanes)
    let sm0 = x.softmax(0).unwrap();
    let e = |v: f64| v.exp();
    let want0 = e(0.) / (e(0.) + e(1.));
    assert!((sm0.as_slice()[0] - want0).abs() < 1e-15);
    assert!((sm0.as_slice()[0] + sm0.as_slice()[2] - 1.0).abs() < 1e-15);
    // the fused kernel
    let (loss, probs) = x.softmax_cross_entropy(&[1, 0]).unwrap();
    assert!((loss[0] - (1.5f64).ln()).abs() < 1e-15);
    assert!((loss[1] - 2f64.ln()).abs() < 1e-15);
    assert!(probs.max_abs_diff(&sm).unwrap() < 1e-15);
}

fn naive_matmul(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
    let mut c = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            c[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
        }
    }
    c
}

fn transpose(a: &Tensor<f64>) -> Tensor<f64> {
    Tensor::from_view(a.view().reversed_axes())
}

fn vals(n: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-3.0f64..3.0, n)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn matmul_t_matches_naive(m in 1usize..6, k in 0usize..6, n in 1usize..6, ta: bool, tb: bool,
                              seed in vals(36), seed2 in vals(36)) {
        let a = Tensor::from_vec(&[m, k], seed[..m * k].to_vec()).unwrap();
        let b = Tensor::from_vec(&[k, n], seed2[..k * n].to_vec()).unwrap();
        let want = naive_matmul(a.as_slice(), b.as_slice(), m, k, n);
        let (aa, tra) = if ta { (transpose(&a), Transpose::Yes) } else { (a.clone(), Transpose::No) };
        let (bb, trb) = if tb { (transpose(&b), Transpose::Yes) } else { (b.clone(), Transpose::No) };
        let got = aa.matmul_t(tra, &bb, trb).unwrap();
        prop_assert_eq!(got.shape(), &[m, n]);
        for (g, w) in got.as_slice().iter().zip(&want) {
            prop_assert!((g - w).abs() < 1e-12);
        }
    }

    #[test]
    fn broadcast_binary_matches_index_arithmetic(
        dims in prop::collection::vec(1usize..4, 0..4),
        mask_a in prop::collection::vec(any::<bool>(), 4),
        mask_b in prop::collection::vec(any::<bool>(), 4),
        drop in 0usize..3,
        data in vals(64), data2 in vals(64),
    ) {
        // operand shapes: `dims` with some axes set to 1; b may also lose leading axes
        let sa: Vec<usize> = dims.iter().zip(&mask_a).map(|(&d, &m)| if m { 1 } else { d }).collect();
        let sb_full: Vec<usize> = dims.iter().zip(&mask_b).map(|(&d, &m)| if m { 1 } else { d }).collect();
        let sb = sb_full[drop.min(sb_full.len())..].to_vec();
        let na: usize = sa.iter().product();
        let nb: usize = sb.iter().product();
        let a = Tensor::from_vec(&sa, data[..na].to_vec()).unwrap();
        let b = Tensor::from_vec(&sb, data2[..nb].iter().map(|v| v + 4.0).collect()).unwrap();
        let out_shape = broadcast_shape("add", &sa, &sb).unwrap();
        let add = a.add(&b).unwrap();
        let sub = a.sub(&b).unwrap();
        let mul = a.mul(&b).unwrap();
        let div = a.div(&b).unwrap();
        let max = a.maximum(&b).unwrap();
        let rev = b.sub(&a).unwrap();
        prop_assert_eq!(add.shape(), out_shape.as_slice());
        prop_assert_eq!(rev.shape(), out_shape.as_slice());
        let nd = out_shape.len();
        let strides = |s: &[usize]| {
            // broadcast strides of `s` aligned to the output
            let mut st = vec![0usize; nd];
            let mut acc = 1;
            for i in (0..s.len()).rev() {
                let o = nd - s.len() + i;
                st[o] = if s[i] == 1 { 0 } else { acc };
                acc *= s[i];
            }
            st
        };
        let (st_a, st_b) = (strides(&sa), strides(&sb));
        let n: usize = out_shape.iter().product();
        for flat in 0..n {
            let (mut rem, mut ia, mut ib) = (flat, 0, 0);
            for ax in (0..nd).rev() {
                let ix = rem % out_shape[ax];
                rem /= out_shape[ax];
                ia += ix * st_a[ax];
                ib += ix * st_b[ax];
            }
            let (x, y) = (a.as_slice()[ia], b.as_slice()[ib]);
            prop_assert_eq!(add.as_slice()[flat], x + y);
            prop_assert_eq!(sub.as_slice()[flat], x - y);
            prop_assert_eq!(mul.as_slice()[flat], x * y);
            prop_assert_eq!(div.as_slice()[flat], x / y);
            prop_assert_eq!(max.as_slice()[flat], x.max(y));
            prop_assert_eq!(rev.as_slice()[flat], y - x);
        }
        // sum_to_shape of the broadcast result's gradient of ones counts the copies
        let ones = Tensor::<f64>::ones(&out_shape);
        let back = ones.sum_to_shape(&sb).unwrap();
        prop_assert_eq!(back.shape(), sb.as_slice());
        let copies = (n / nb.max(1)) as f64;
        prop_assert!(back.as_slice().iter().all(|&c| c == copies));
        // the in-place variant agrees when the left operand already has the output shape
        if sa == out_shape {
            let mut ip = a.clone();
            ip.mul_assign(&b).unwrap();
            prop_assert_eq!(ip, mul);
        }
    }

    #[test]
    fn sum_and_mean_axes_match_naive(
        dims in prop::collection::vec(1usize..4, 1..4),
        axes_mask in prop::collection::vec(any::<bool>(), 3),
        keepdims: bool,
        data in vals(27),
    ) {
        let n: usize = dims.iter().product();
        let a = Tensor::from_vec(&dims, data[..n].to_vec()).unwrap();
        let axes: Vec<usize> = (0..dims.len()).filter(|&i| axes_mask[i]).collect();
        let s = a.sum_axes(&axes, keepdims).unwrap();
        let m = a.mean_axes(&axes, keepdims).unwrap();
        let mx = a.max_axes(&axes, keepdims).unwrap();
        let want_shape = reduced_shape(&dims, &axes, keepdims);
        prop_assert_eq!(s.shape(), want_shape.as_slice());
        // naive: accumulate every element into its reduced position
        let kept = reduced_shape(&dims, &axes, true);
        let mut want = vec![0.0; kept.iter().product()];
        let mut want_max = vec![f64::NEG_INFINITY; want.len()];
        for flat in 0..n {
            let (mut rem, mut out, mut mul) = (flat, 0, 1);
            for ax in (0..dims.len()).rev() {
                let ix = rem % dims[ax];
                rem /= dims[ax];
                if !axes.contains(&ax) {
                    out += ix * mul;
                    mul *= dims[ax];
                }
            }
            want[out] += a.as_slice()[flat];
            want_max[out] = want_max[out].max(a.as_slice()[flat]);
        }
        let count: usize = axes.iter().map(|&ax| dims[ax]).product();
        for i in 0..want.len() {
            prop_assert!((s.as_slice()[i] - want[i]).abs() < 1e-12);
            prop_assert!((m.as_slice()[i] - want[i] / count as f64).abs() < 1e-12);
            prop_assert_eq!(mx.as_slice()[i], want_max[i]);
        }
    }

    #[test]
    fn softmax_rows_sum_to_one_and_match_exp_of_log_softmax(
        rows in 1usize..4, cols in 1usize..5, axis in 0usize..2, scale in 0.1f64..1000.0,
        data in vals(20),
    ) {
        let x = Tensor::from_vec(&[rows, cols], data[..rows * cols].iter().map(|v| v * scale).collect()).unwrap();
        let sm = x.softmax(axis).unwrap();
        let lsm = x.log_softmax(axis).unwrap();
        prop_assert!(sm.all_finite() && lsm.all_finite());
        let sums = sm.sum_axes(&[axis], false).unwrap();
        prop_assert!(sums.as_slice().iter().all(|s| (s - 1.0).abs() < 1e-12));
        prop_assert!(lsm.exp().max_abs_diff(&sm).unwrap() < 1e-12);
    }
}

/// Column sums in row order (bitwise the sequential sum, f32 through the AVX2 copy of the
/// loop), into any output of the right length; bad shapes are errors that write nothing.
#[test]
fn sum_rows_into_adds_in_row_order() {
    // Narrow, one register block (32), blocks plus a tail, a single row.
    for (rows, cols) in [(7, 19), (5, 32), (9, 70), (1, 64)] {
        let x: Vec<f32> = (0..rows * cols)
            .map(|i| ((i * 37 % 23) as f32 - 11.0) / 3.0 + 1e-3 * i as f32)
            .collect();
        let m = Tensor::<f32>::from_vec(&[rows, cols], x.clone()).unwrap();
        let mut out = Tensor::<f32>::full(&[1, cols], f32::NAN);
        m.sum_rows_into(&mut out).unwrap();
        for j in 0..cols {
            let mut s = x[j];
            for i in 1..rows {
                s += x[i * cols + j];
            }
            assert_eq!(
                out.as_slice()[j].to_bits(),
                s.to_bits(),
                "{rows}x{cols} column {j}"
            );
        }
    }
    let m64 = t(&[2, 2], &[1., 2., 3., 4.]);
    let mut o = t(&[2], &[9., 9.]);
    m64.sum_rows_into(&mut o).unwrap();
    assert_eq!(o.as_slice(), &[4., 6.]);
    let mut empty = t(&[2], &[9., 9.]);
    Tensor::<f64>::zeros(&[0, 2])
        .sum_rows_into(&mut empty)
        .unwrap();
    assert_eq!(empty.as_slice(), &[0., 0.]);
    let mut wrong = t(&[3], &[9., 9., 9.]);
    let e = m64.sum_rows_into(&mut wrong).unwrap_err().to_string();
    assert!(e.contains("sum_rows_into") && e.contains("column"), "{e}");
    assert_eq!(wrong.as_slice(), &[9., 9., 9.]);
    assert!(t(&[2], &[1., 2.]).sum_rows_into(&mut o).is_err());
}

/// The allocation-free cross-entropy returns the sum of the per-sample losses and the same
/// probabilities as the allocating one (f64: bitwise; f32 through the vectorized exp: against
/// f64 within a few ε), overwrites a stale buffer entirely, and stays finite at logits of ±1000
/// and with −∞ logits.
#[test]
fn softmax_cross_entropy_into_matches_the_allocating_kernel() {
    let z = t(
        &[4, 3],
        &[
            0.5,
            -1.0,
            2.0,
            1000.0,
            -1000.0,
            0.0,
            f64::NEG_INFINITY,
            3.0,
            3.0,
            -0.25,
            -0.25,
            -0.25,
        ],
    );
    let labels = [2, 1, 1, 0];
    let (losses, probs) = z.softmax_cross_entropy(&labels).unwrap();
    let mut buf = Tensor::full(&[4, 3], f64::NAN);
    let total = z.softmax_cross_entropy_into(&labels, &mut buf).unwrap();
    assert_eq!(buf, probs);
    assert!((total - losses.iter().sum::<f64>()).abs() <= 1e-12 * total.abs());
    assert!(total > 2000.0 && total.is_finite());
    // Label 0 of row 2 has probability 0: the loss is +∞, not NaN.
    let inf = z
        .softmax_cross_entropy_into(&[2, 1, 0, 1], &mut buf)
        .unwrap();
    assert_eq!(inf, f64::INFINITY);

    let z32 =
        Tensor::<f32>::from_vec(&[4, 3], z.as_slice().iter().map(|&v| v as f32).collect()).unwrap();
    let labels = [2, 0, 1, 1];
    let (l64, p64) = z.softmax_cross_entropy(&labels).unwrap();
    let mut p32 = Tensor::<f32>::full(&[4, 3], 7.0);
    let total32 = z32.softmax_cross_entropy_into(&labels, &mut p32).unwrap();
    let want: f64 = l64.iter().sum();
    assert!((f64::from(total32) - want).abs() <= 8.0 * f64::from(f32::EPSILON) * want.abs());
    for (&a, &b) in p32.as_slice().iter().zip(p64.as_slice()) {
        assert!(
            (f64::from(a) - b).abs() <= 4.0 * f64::from(f32::EPSILON),
            "{a} vs {b}"
        );
    }
    let (l32, q32) = z32.softmax_cross_entropy(&labels).unwrap();
    assert_eq!(q32, p32);
    assert_eq!(l32.iter().sum::<f32>(), total32);
}

#[test]
fn softmax_cross_entropy_into_rejects_a_wrong_buffer_and_writes_nothing() {
    let z = t(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
    let mut buf = Tensor::full(&[3, 2], 9.0);
    let e = z.softmax_cross_entropy_into(&[0, 1], &mut buf).unwrap_err();
    assert!(e.to_string().contains("softmax_cross_entropy_into"), "{e}");
    assert!(e.to_string().contains("[3, 2]"), "{e}");
    assert!(buf.as_slice().iter().all(|&v| v == 9.0));
    let mut buf = Tensor::full(&[2, 3], 9.0);
    let e = z.softmax_cross_entropy_into(&[0, 3], &mut buf).unwrap_err();
    assert!(e.to_string().contains("softmax_cross_entropy"), "{e}");
    assert!(buf.as_slice().iter().all(|&v| v == 9.0));
}

/// `linear_into` against `x·Wᵀ + b` from the separate kernels: f64 (the prefill-and-accumulate
/// path), f32 small (bias in the accumulators) and f32 large (matrixmultiply), with and without
/// a bias, into a buffer of stale values.
#[test]
fn linear_into_matches_matmul_plus_bias() {
    fn vals(len: usize, seed: u64) -> Vec<f64> {
        (0..len)
            .map(|i| (((i as u64 + 1) * (seed * 2 + 7919)) % 1000) as f64 / 250.0 - 2.0)
            .collect()
    }
    for &(n, din, dout) in &[
        (32, 2, 32),
        (32, 32, 2),
        (5, 7, 3),
        (3, 9, 17),
        (100, 80, 70),
    ] {
        let x = t(&[n, din], &vals(n * din, 1));
        let w = t(&[dout, din], &vals(dout * din, 2));
        let b = t(&[dout], &vals(dout, 3));
        let want = x.matmul_t(Transpose::No, &w, Transpose::Yes).unwrap();
        let want_b = want.add(&b).unwrap();
        let mut y = Tensor::full(&[n, dout], f64::NAN);
        y.linear_into(&x, &w, Some(&b)).unwrap();
        assert!(
            y.max_abs_diff(&want_b).unwrap() <= 1e-12,
            "f64 {n}x{din}x{dout}"
        );
        y.linear_into(&x, &w, None).unwrap();
        assert!(y.max_abs_diff(&want).unwrap() <= 1e-12);

        let f = |t: &Tensor<f64>| {
            Tensor::<f32>::from_vec(t.shape(), t.as_slice().iter().map(|&v| v as f32).collect())
                .unwrap()
        };
        let (x, w, b) = (f(&x), f(&w), f(&b));
        let mut y = Tensor::<f32>::full(&[n, dout], f32::NAN);
        y.linear_into(&x, &w, Some(&b)).unwrap();
        let tol = 1e-5 * din as f32;
        assert!(
            y.max_abs_diff(&f(&want_b)).unwrap() <= tol,
            "f32 {n}x{din}x{dout}"
        );
        y.linear_into(&x, &w, None).unwrap();
        assert!(y.max_abs_diff(&f(&want)).unwrap() <= tol);
    }
}

#[test]
fn linear_into_rejects_bad_shapes_and_writes_nothing() {
    let x = t(&[4, 3], &[1.0; 12]);
    let w = t(&[2, 3], &[1.0; 6]);
    type Case<'a> = (
        Tensor<f64>,
        Tensor<f64>,
        Option<Tensor<f64>>,
        &'a [usize],
        &'a str,
    );
    let cases: Vec<Case<'_>> = vec![
        (x.clone(), t(&[2, 4], &[1.0; 8]), None, &[4, 2], "[2, 4]"),
        (
            x.clone(),
            w.clone(),
            Some(t(&[3], &[0.0; 3])),
            &[4, 2],
            "[3]",
        ),
        (x.clone(), w.clone(), None, &[2, 4], "[2, 4]"),
        (t(&[12], &[1.0; 12]), w.clone(), None, &[4, 2], "[12]"),
    ];
    for (x, w, b, out, needle) in cases {
        let mut y = Tensor::full(out, 5.0);
        let e = y.linear_into(&x, &w, b.as_ref()).unwrap_err().to_string();
        assert!(e.contains("linear") && e.contains(needle), "{e}");
        assert!(y.as_slice().iter().all(|&v| v == 5.0));
    }
}

/// More rows than one chunk of the kernel's logarithm pass (64): every per-sample f32 loss
/// within a few ε of the f64 one, in row order, and the `_into` total equal to their sum.
#[test]
fn softmax_cross_entropy_over_several_chunks_of_rows() {
    let (n, c) = (150, 3);
    let z64: Vec<f64> = (0..n * c)
        .map(|i| ((i * 7919 % 1013) as f64 / 1013.0 - 0.5) * 12.0)
        .collect();
    let labels: Vec<usize> = (0..n).map(|i| (i * 5) % c).collect();
    let z = t(&[n, c], &z64);
    let z32 = Tensor::<f32>::from_vec(&[n, c], z64.iter().map(|&v| v as f32).collect()).unwrap();
    let (l64, _) = z.softmax_cross_entropy(&labels).unwrap();
    let (l32, p32) = z32.softmax_cross_entropy(&labels).unwrap();
    for (i, (&a, &b)) in l32.iter().zip(&l64).enumerate() {
        let tol = 8.0 * f64::from(f32::EPSILON) * (1.0 + b.abs());
        assert!((f64::from(a) - b).abs() <= tol, "row {i}: {a} vs {b}");
    }
    let mut buf = Tensor::<f32>::zeros(&[n, c]);
    let total = z32.softmax_cross_entropy_into(&labels, &mut buf).unwrap();
    assert_eq!(buf, p32);
    assert_eq!(total, l32.iter().sum::<f32>());
}
