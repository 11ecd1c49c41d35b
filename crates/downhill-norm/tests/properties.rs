//! Properties: batch-norm outputs have per-channel mean β and standard deviation γ in
//! training; layer-norm rows are standardized; the standardizer inverts exactly.

use downhill_autograd::Tape;
use downhill_norm::{BatchNorm, BatchNormConfig, Mode, Scaling, Standardizer};
use downhill_tensor::Tensor;
use proptest::prelude::*;

/// `(mean, biased std)` of channel `ch` of a `[N, C, *]` tensor.
fn channel_moments(y: &Tensor<f64>, ch: usize) -> (f64, f64) {
    let (c, inner) = (y.shape()[1], y.shape()[2..].iter().product::<usize>());
    let vals: Vec<f64> = y
        .as_slice()
        .chunks_exact(inner)
        .enumerate()
        .filter(|(k, _)| k % c == ch)
        .flat_map(|(_, b)| b.iter().copied())
        .collect();
    let m = vals.iter().sum::<f64>() / vals.len() as f64;
    let v = vals.iter().map(|x| (x - m).powi(2)).sum::<f64>() / vals.len() as f64;
    (m, v.sqrt())
}

fn matrix(
    rows: std::ops::Range<usize>,
    cols: std::ops::Range<usize>,
) -> impl Strategy<Value = Tensor<f64>> {
    (rows, cols).prop_flat_map(|(r, c)| {
        prop::collection::vec(-50.0f64..50.0, r * c)
            .prop_map(move |v| Tensor::from_vec(&[r, c], v).unwrap())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn training_output_has_channel_mean_beta_and_std_gamma(
        (shape, data, gamma, beta) in (2usize..6, 1usize..4, 1usize..4).prop_flat_map(|(n, c, l)| {
            let len = n * c * l;
            (Just(vec![n, c, l]), prop::collection::vec(-10.0f64..10.0, len),
             prop::collection::vec(0.1f64..3.0, c), prop::collection::vec(-2.0f64..2.0, c))
        })
    ) {
        let mut tape = Tape::<f64>::new();
        let config = BatchNormConfig { eps: 0.0, ..BatchNormConfig::new(shape[1]) };
        let mut bn = BatchNorm::new(config, tape.params_mut(), "").unwrap();
        tape.params_mut().get_mut(bn.weight().unwrap()).unwrap().value.as_mut_slice().copy_from_slice(&gamma);
        tape.params_mut().get_mut(bn.bias().unwrap()).unwrap().value.as_mut_slice().copy_from_slice(&beta);
        let x = tape.input(Tensor::from_vec(&shape, data).unwrap());
        let y = bn.forward(&mut tape, x, Mode::Train).unwrap();
        let y = tape.value(y).unwrap();
        let xv = tape.value(x).unwrap();
        for ch in 0..shape[1] {
            let (m, s) = channel_moments(y, ch);
            prop_assert!((m - beta[ch]).abs() < 1e-9, "mean {m} vs β {}", beta[ch]);
            if channel_moments(xv, ch).1 > 1e-6 {
                prop_assert!((s - gamma[ch]).abs() < 1e-7, "std {s} vs γ {}", gamma[ch]);
            }
        }
    }

    #[test]
    fn standardizer_transform_then_inverse_is_the_identity(
        x in matrix(1..8, 1..5),
        method in prop::sample::select(vec![Scaling::Standard, Scaling::MinMax, Scaling::PcaWhitening]),
    ) {
        let s = Standardizer::fit(method, &x).unwrap();
        let z = s.transform(&x).unwrap();
        prop_assert!(z.all_finite());
        let back = s.inverse_transform(&z).unwrap();
        let err = back.max_abs_diff(&x).unwrap();
        prop_assert!(err < 1e-9, "{method:?}: max error {err}");
    }

    #[test]
    fn whitened_training_data_has_identity_covariance(x in matrix(6..12, 1..4)) {
        let s = Standardizer::fit(Scaling::PcaWhitening, &x).unwrap();
        let z = s.transform(&x).unwrap();
        let (n, d) = (z.shape()[0], z.shape()[1]);
        let eig_ok = s.scale().iter().all(|&v| v > 1e-3);
        for i in 0..d {
            for j in 0..d {
                let cov: f64 = (0..n).map(|r| z.as_slice()[r * d + i] * z.as_slice()[r * d + j]).sum::<f64>() / n as f64;
                let want = if i == j { 1.0 } else { 0.0 };
                prop_assert!(!eig_ok || (cov - want).abs() < 1e-8, "cov[{i}][{j}] = {cov}");
            }
        }
    }
}

#[test]
fn standardized_training_features_have_zero_mean_unit_std_and_constants_map_to_zero() {
    let x = Tensor::from_vec(
        &[4, 3],
        vec![1.0, 5.0, 0.1, 2.0, 5.0, 0.3, 3.0, 5.0, 0.2, 6.0, 5.0, 0.4],
    )
    .unwrap();
    let s = Standardizer::fit(Scaling::Standard, &x).unwrap();
    let z = s.transform(&x).unwrap();
    for j in [0, 2] {
        let col: Vec<f64> = (0..4).map(|r| z.as_slice()[r * 3 + j]).collect();
        let m = col.iter().sum::<f64>() / 4.0;
        let v = col.iter().map(|c| (c - m).powi(2)).sum::<f64>() / 4.0;
        assert!(
            m.abs() < 1e-12 && (v - 1.0).abs() < 1e-12,
            "column {j}: mean {m}, var {v}"
        );
    }
    assert!(
        (0..4).all(|r| z.as_slice()[r * 3 + 1] == 0.0),
        "constant feature → 0"
    );
    assert_eq!(s.scale()[1], 1.0);
    let mm = Standardizer::fit(Scaling::MinMax, &x)
        .unwrap()
        .transform(&x)
        .unwrap();
    assert_eq!(mm.as_slice()[0..3], [0.0, 0.0, 0.0]);
    assert_eq!(mm.as_slice()[9], 1.0);
    assert!((mm.as_slice()[11] - 1.0).abs() < 1e-15);
}

#[test]
fn the_fitted_transform_is_applied_unchanged_to_new_data_and_survives_serde() {
    let train = Tensor::from_vec(&[3, 2], vec![0.0f32, 1.0, 2.0, 3.0, 4.0, 8.0]).unwrap();
    let s = Standardizer::fit(Scaling::PcaWhitening, &train).unwrap();
    let json = serde_json::to_string(&s).unwrap();
    let restored: Standardizer = serde_json::from_str(&json).unwrap();
    assert_eq!(restored, s);
    let valid = Tensor::from_vec(&[1, 2], vec![100.0f32, -100.0]).unwrap();
    assert_eq!(
        restored.transform(&valid).unwrap(),
        s.transform(&valid).unwrap()
    );
    assert_eq!(s.scaling(), Scaling::PcaWhitening);
    assert_eq!(s.num_features(), 2);
    assert_eq!(s.components().unwrap().len(), 4);
}

#[test]
fn cumulative_average_with_momentum_none_is_the_plain_mean_of_batch_statistics() {
    let mut tape = Tape::<f64>::new();
    let config = BatchNormConfig {
        momentum: None,
        ..BatchNormConfig::new(1)
    };
    let mut bn = BatchNorm::new_1d(config, tape.params_mut(), "").unwrap();
    for (k, batch) in [[1.0, 3.0], [5.0, 9.0], [0.0, 0.0]].iter().enumerate() {
        let x = tape.input(Tensor::from_vec(&[2, 1], batch.to_vec()).unwrap());
        bn.forward(&mut tape, x, Mode::Train).unwrap();
        assert_eq!(bn.num_batches_tracked(), Some(k as u64 + 1));
    }
    // batch means 2, 7, 0; unbiased variances 2, 8, 0
    assert!((bn.running_mean().unwrap().as_slice()[0] - 3.0).abs() < 1e-15);
    assert!((bn.running_var().unwrap().as_slice()[0] - 10.0 / 3.0).abs() < 1e-15);
}

#[test]
fn f32_layers_run_and_no_grad_records_nothing_differentiable() {
    let mut tape = Tape::<f32>::new();
    let mut bn = BatchNorm::new_2d(BatchNormConfig::new(2), tape.params_mut(), "").unwrap();
    let x = tape.input(Tensor::from_fn(&[2, 2, 2, 2], |i| {
        (i[0] + 2 * i[1] + i[3]) as f32
    }));
    let y = tape.no_grad(|t| bn.forward(t, x, Mode::Eval)).unwrap();
    assert!(!tape.requires_grad(y).unwrap());
    // eval with the initial buffers: y = x / √(1 + ε)
    let want = tape.value(x).unwrap().scale(1.0 / (1.0f32 + 1e-5).sqrt());
    assert!(tape.value(y).unwrap().max_abs_diff(&want).unwrap() < 1e-6);
    assert_eq!(bn.num_batches_tracked(), Some(0), "eval updates nothing");
    assert_eq!(serde_json::to_string(&Mode::Eval).unwrap(), "\"Eval\"");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// The `[N, C]` fast path and the general `[N, C, *]` path are the same computation.
    #[test]
    fn row_and_block_kernels_agree(
        (n, c, data, g) in (2usize..6, 1usize..5).prop_flat_map(|(n, c)| {
            (Just(n), Just(c), prop::collection::vec(-5.0f64..5.0, n * c), prop::collection::vec(-5.0f64..5.0, n * c))
        })
    ) {
        use downhill_norm::{BatchNormGrads, ChannelLayout, batch_norm_backward, batch_norm_normalize, channel_stats};
        let run = |shape: &[usize]| {
            let layout = ChannelLayout::of(shape).unwrap();
            let stats = channel_stats(&data, layout, 1e-3);
            let gamma: Vec<f64> = (0..c).map(|k| 1.0 + k as f64).collect();
            let mut y = vec![0.0; n * c];
            batch_norm_normalize(&data, layout, &stats, Some(&gamma), None, &mut y);
            let (mut dx, mut dgamma, mut dbeta) = (vec![0.0; n * c], vec![0.0; c], vec![0.0; c]);
            let out = BatchNormGrads { dx: &mut dx, dgamma: &mut dgamma, dbeta: &mut dbeta };
            batch_norm_backward(&data, &g, layout, &stats, Some(&gamma), true, out);
            (y, dx, dgamma, dbeta)
        };
        let (a, b) = (run(&[n, c]), run(&[n, c, 1]));
        let close = |u: &[f64], v: &[f64]| u.iter().zip(v).all(|(p, q)| (p - q).abs() < 1e-12);
        prop_assert!(close(&a.0, &b.0) && close(&a.1, &b.1) && close(&a.2, &b.2) && close(&a.3, &b.3));
    }
}
