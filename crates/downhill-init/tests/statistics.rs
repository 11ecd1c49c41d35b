//! Statistical tests of every random scheme, on fixed seeds, with tolerances of five standard
//! errors derived from the sample size.

mod common;

use common::{assert_mean_and_std, orthonormality_error, rng, to_f64};
use downhill_init::{FanMode, Init, Nonlinearity, truncated_normal_moments};
use downhill_tensor::{Element, Tensor};

const SHAPE: [usize; 2] = [300, 200];

/// Samples `init` in `E`, checks mean, std and support against the scheme's own theory.
fn check<E: Element>(init: Init, shape: &[usize], mean: f64, seed: u64) {
    let t = init.sample::<E>(&mut rng(seed), shape).unwrap();
    let xs = to_f64(&t);
    let std = init.std(shape).unwrap();
    let label = format!("{init} {shape:?} {}", E::DTYPE);
    assert_mean_and_std(&xs, mean, std, &label);
    let (lo, hi) = init.support(shape).unwrap();
    let (lo, hi) = (E::of(lo).as_f64(), E::of(hi).as_f64());
    assert!(
        xs.iter().all(|&x| lo <= x && x <= hi),
        "{label}: outside [{lo}, {hi}]"
    );
}

fn random_schemes() -> Vec<(Init, f64)> {
    let (he_in, he_out) = (FanMode::FanIn, FanMode::FanOut);
    vec![
        (Init::Uniform { a: -0.5, b: 2.0 }, 0.75),
        (
            Init::Normal {
                mean: 0.5,
                std: 2.0,
            },
            0.5,
        ),
        (Init::SmallNormal, 0.0),
        (Init::LecunUniform, 0.0),
        (Init::LecunNormal, 0.0),
        (Init::XavierUniform { gain: 1.0 }, 0.0),
        (Init::XavierNormal { gain: 5.0 / 3.0 }, 0.0),
        (
            Init::HeUniform {
                mode: he_in,
                nonlinearity: Nonlinearity::Relu,
            },
            0.0,
        ),
        (
            Init::HeNormal {
                mode: he_out,
                nonlinearity: Nonlinearity::LeakyRelu(0.2),
            },
            0.0,
        ),
        (
            Init::HeNormal {
                mode: he_in,
                nonlinearity: Nonlinearity::Tanh,
            },
            0.0,
        ),
        (Init::PytorchDefault, 0.0),
    ]
}

#[test]
fn every_random_scheme_has_the_documented_mean_std_and_support_f64() {
    for (i, (init, mean)) in random_schemes().into_iter().enumerate() {
        check::<f64>(init, &SHAPE, mean, 100 + i as u64);
    }
}

#[test]
fn every_random_scheme_has_the_documented_mean_std_and_support_f32() {
    for (i, (init, mean)) in random_schemes().into_iter().enumerate() {
        check::<f32>(init, &[16, 60, 5, 5], mean, 200 + i as u64);
    }
}

#[test]
fn truncated_normal_respects_absolute_bounds_and_moments() {
    for (k, &(mean, std, a, b)) in [
        (0.0, 1.0, -2.0, 2.0),
        (0.0, 1.0, -0.5, 1.0),
        (1.0, 2.0, 0.0, 3.0),
        (0.0, 0.02, -2.0, 2.0),
    ]
    .iter()
    .enumerate()
    {
        let init = Init::TruncatedNormal { mean, std, a, b };
        let (tmean, tstd) = truncated_normal_moments(mean, std, a, b);
        assert_eq!(init.std(&SHAPE).unwrap(), tstd);
        check::<f64>(init, &SHAPE, tmean, 300 + k as u64);
    }
    // With std = 0.02 the absolute bounds ±2 truncate nothing: the std is untouched.
    let (_, s) = truncated_normal_moments(0.0, 0.02, -2.0, 2.0);
    assert!((s - 0.02).abs() < 1e-15);
    // A narrow window: every draw is inside it, and both ends are reached closely.
    let t = downhill_init::trunc_normal::<f64>(&mut rng(7), &[20_000], 0.0, 1.0, 0.9, 1.0).unwrap();
    let (lo, hi) = t
        .as_slice()
        .iter()
        .fold((f64::MAX, f64::MIN), |(l, h), &x| (l.min(x), h.max(x)));
    assert!(
        (0.9..0.901).contains(&lo) && (0.999..=1.0).contains(&hi),
        "[{lo}, {hi}]"
    );
}

#[test]
fn uniform_schemes_reach_close_to_their_bound() {
    // For n draws of U(−b, b) the largest |x| misses b by about 2b/n; 20/n is a generous margin.
    let init = Init::XavierUniform { gain: 1.0 };
    let t = init.sample::<f64>(&mut rng(11), &SHAPE).unwrap();
    let bound = init.support(&SHAPE).unwrap().1;
    let max = t.as_slice().iter().fold(0.0f64, |m, x| m.max(x.abs()));
    assert!(max <= bound && max > bound * (1.0 - 20.0 / t.len() as f64));
    assert_eq!(bound, 3f64.sqrt() * (2.0 / 500f64).sqrt());
}

#[test]
fn orthogonal_is_orthonormal_for_tall_wide_square_and_conv_shapes() {
    for (seed, shape, gain) in [
        (1, vec![50, 20], 1.0),
        (2, vec![20, 50], 1.0),
        (3, vec![40, 40], 2.0_f64.sqrt()),
        (4, vec![8, 4, 3, 3], 0.5),
        (5, vec![1, 7], 1.0),
    ] {
        let t = Init::Orthogonal { gain }
            .sample::<f64>(&mut rng(seed), &shape)
            .unwrap();
        let rows = shape[0];
        let cols = t.len() / rows;
        let err = orthonormality_error(t.as_slice(), rows, cols, gain);
        assert!(err < 1e-12, "{shape:?}: ‖QᵀQ − I‖∞ = {err}");
        // Σ q² = gain²·min(r, c) exactly, so the std identity of Init::std holds exactly.
        let ss: f64 = t.as_slice().iter().map(|x| x * x).sum();
        let std = Init::Orthogonal { gain }.std(&shape).unwrap();
        assert!((ss / t.len() as f64 - std * std).abs() < 1e-12);
    }
}

#[test]
fn orthogonal_f32_is_orthonormal_to_f32_precision() {
    let t = Init::Orthogonal { gain: 1.0 }
        .sample::<f32>(&mut rng(9), &[64, 32])
        .unwrap();
    let err = orthonormality_error(&to_f64(&t), 64, 32, 1.0);
    assert!(err < 1e-5, "{err}");
}

#[test]
fn orthogonal_entries_look_haar_distributed() {
    // Entries of a Haar orthogonal n×n matrix have mean 0 and variance 1/n; the sign correction
    // matters: without it the diagonal of R is negative by Householder convention and the
    // first column would be biased. Check the mean of Q[0][0] across many draws.
    let n = 4;
    let draws = 4000;
    let mut r = rng(21);
    let first: Vec<f64> = (0..draws)
        .map(|_| {
            Init::Orthogonal { gain: 1.0 }
                .sample::<f64>(&mut r, &[n, n])
                .unwrap()
                .as_slice()[0]
        })
        .collect();
    assert_mean_and_std(&first, 0.0, (1.0 / n as f64).sqrt(), "Q[0][0]");
}

#[test]
fn seeded_sampling_is_reproducible_and_fill_matches_sample() {
    for init in [
        "he_normal",
        "xavier_uniform",
        "orthogonal",
        "truncated_normal",
        "pytorch_default",
    ] {
        let init: Init = init.parse().unwrap();
        let a = init.sample::<f32>(&mut rng(5), &[12, 7]).unwrap();
        let b = init.sample::<f32>(&mut rng(5), &[12, 7]).unwrap();
        let mut c = Tensor::<f32>::full(&[12, 7], 3.0);
        init.fill(&mut c, &mut rng(5)).unwrap();
        assert_eq!(a.as_slice(), b.as_slice(), "{init}");
        assert_eq!(a.as_slice(), c.as_slice(), "{init}");
        // f32 and f64 draw the same f64 values and round them.
        let d = init.sample::<f64>(&mut rng(5), &[12, 7]).unwrap();
        assert!(
            a.as_slice()
                .iter()
                .zip(d.as_slice())
                .all(|(x, y)| *x == *y as f32),
            "{init}"
        );
        // A different seed gives different weights.
        let e = init.sample::<f32>(&mut rng(6), &[12, 7]).unwrap();
        assert_ne!(a.as_slice(), e.as_slice());
    }
}

#[test]
fn deterministic_schemes() {
    assert!(
        Init::Zeros
            .sample::<f32>(&mut rng(0), &[3, 4])
            .unwrap()
            .as_slice()
            .iter()
            .all(|&x| x == 0.0)
    );
    assert!(
        Init::Ones
            .sample::<f64>(&mut rng(0), &[5])
            .unwrap()
            .as_slice()
            .iter()
            .all(|&x| x == 1.0)
    );
    let c = downhill_init::constant::<f32>(&[2, 2], 0.25).unwrap();
    assert_eq!(c.as_slice(), &[0.25; 4]);
    assert_eq!(Init::Constant { value: 0.25 }.std(&[2, 2]).unwrap(), 0.0);
    let eye = downhill_init::eye::<f64>(&[2, 3]).unwrap();
    assert_eq!(eye.as_slice(), &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
    let via_init = Init::Eye.sample::<f64>(&mut rng(0), &[2, 3]).unwrap();
    assert_eq!(eye.as_slice(), via_init.as_slice());
    assert_eq!(downhill_init::zeros::<f32>(&[2]).as_slice(), &[0.0, 0.0]);
    assert_eq!(downhill_init::ones::<f32>(&[2]).as_slice(), &[1.0, 1.0]);
}

#[test]
fn pytorch_default_bias_matches_the_weight_fan_in() {
    let b = downhill_init::pytorch_default_bias::<f64>(&mut rng(3), &[4000, 25]).unwrap();
    assert_eq!(b.shape(), &[4000]);
    assert!(b.as_slice().iter().all(|x| x.abs() <= 0.2));
    assert_mean_and_std(&to_f64(&b), 0.0, 0.4 / 12f64.sqrt(), "bias");
    assert_eq!(
        Init::PytorchDefault.bias_init_for(&[3, 0]).unwrap(),
        Init::Uniform { a: -0.0, b: 0.0 }
    );
    assert_eq!(
        Init::HeNormal {
            mode: FanMode::FanIn,
            nonlinearity: Nonlinearity::Relu
        }
        .bias_init_for(&[3, 2])
        .unwrap(),
        Init::Zeros
    );
    // The weight bound is PyTorch's √3·√(1/3)/√fan_in, 1/√fan_in up to rounding.
    let bound = Init::PytorchDefault.support(&[7, 25]).unwrap().1;
    assert!((bound - 0.2).abs() < 1e-15);
}
