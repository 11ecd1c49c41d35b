//! Dropout and Gaussian noise: gradient checks with a fixed mask, statistics with tolerances of
//! five standard errors on fixed seeds, modes, reproducibility and errors.

use downhill_autograd::{GradCheckOptions, Tape, check_gradients};
use downhill_reg::{Dropout, DropoutScaling, GaussianNoise, Mode, RegError};
use downhill_tensor::Tensor;
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

fn rng(seed: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn gradient_check_with_a_fixed_mask(seed in 0u64..1000, p in 0.0f64..0.9) {
        let d = Dropout::new(p).unwrap();
        let mask: Tensor<f64> = d.sample_mask(&[3, 4], &mut rng(seed));
        let x = Tensor::from_fn(&[3, 4], |ix| (ix[0] * 4 + ix[1]) as f64 * 0.3 - 1.0);
        check_gradients(&[("x", x)], GradCheckOptions::default(), |tape, v| {
            let y = d.forward_with_mask(tape, v[0], mask.clone())?;
            let sq = tape.mul(y, y)?; // a nonlinear loss so the gradient depends on x
            tape.sum(sq)
        })
        .unwrap();
    }
}

#[test]
fn backward_reuses_the_forward_mask() {
    let d = Dropout::new(0.5).unwrap();
    let mut tape = Tape::<f64>::new();
    let x = tape.input(Tensor::ones(&[200]));
    let y = d.forward(&mut tape, x, Mode::Train, &mut rng(2)).unwrap();
    let s = tape.sum(y).unwrap();
    tape.backward(s).unwrap();
    let out = tape.value(y).unwrap().clone();
    assert_eq!(tape.grad(x).unwrap().unwrap(), &out); // ∂Σ(m⊙x)/∂x = m, with x = 1
    assert!(out.as_slice().contains(&0.0) && out.as_slice().contains(&2.0));
}

#[test]
fn kept_fraction_within_five_standard_errors() {
    let n = 200_000;
    for p in [0.1, 0.5, 0.8] {
        let mask: Tensor<f64> = Dropout::new(p).unwrap().sample_mask(&[n], &mut rng(3));
        let kept = mask.as_slice().iter().filter(|&&m| m != 0.0).count() as f64 / n as f64;
        let se = (p * (1.0 - p) / n as f64).sqrt();
        assert!((kept - (1.0 - p)).abs() < 5.0 * se, "p = {p}: kept {kept}");
    }
}

/// Mean and standard error of the mean of `y / x` over a batch of equal inputs.
fn mean_and_se(y: &Tensor<f64>) -> (f64, f64) {
    let n = y.len() as f64;
    let mean = y.as_slice().iter().sum::<f64>() / n;
    let var = y.as_slice().iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

#[test]
fn inverted_dropout_is_unbiased() {
    let x = Tensor::full(&[100_000], 1.5);
    let d = Dropout::new(0.3).unwrap();
    let y = d.forward_tensor(&x, Mode::Train, &mut rng(4)).unwrap();
    let (mean, se) = mean_and_se(&y);
    assert!((mean - 1.5).abs() < 5.0 * se, "E[y] = {mean}");
    assert_eq!(d.forward_tensor(&x, Mode::Eval, &mut rng(4)).unwrap(), x);
}

#[test]
fn slide_form_equals_inverted_in_expectation() {
    // The slide: no scaling in training, ×(1−p) at test. Its test output is its expected
    // training output, exactly as for inverted dropout; the two differ by the constant 1 − p.
    let p = 0.4;
    let x = Tensor::full(&[100_000], 2.0);
    let slide = Dropout::with_scaling(p, DropoutScaling::AtTest).unwrap();
    let inverted = Dropout::new(p).unwrap();
    let y_slide = slide.forward_tensor(&x, Mode::Train, &mut rng(5)).unwrap();
    let y_inv = inverted
        .forward_tensor(&x, Mode::Train, &mut rng(5))
        .unwrap();
    let test_slide = slide.forward_tensor(&x, Mode::Eval, &mut rng(5)).unwrap();
    let test_inv = inverted
        .forward_tensor(&x, Mode::Eval, &mut rng(5))
        .unwrap();
    let (m_slide, se_slide) = mean_and_se(&y_slide);
    let (m_inv, se_inv) = mean_and_se(&y_inv);
    assert!((m_slide - test_slide.as_slice()[0]).abs() < 5.0 * se_slide);
    assert!((m_inv - test_inv.as_slice()[0]).abs() < 5.0 * se_inv);
    // Same seed, same mask: the slide's training output is (1 − p) times the inverted one.
    assert!(y_slide.max_abs_diff(&y_inv.scale(1.0 - p)).unwrap() < 1e-12);
    assert!((test_slide.as_slice()[0] - (1.0 - p) * test_inv.as_slice()[0]).abs() < 1e-12);
    // On the tape the slide's eval is a scale, the inverted one is the input itself.
    let mut tape = Tape::<f64>::new();
    let v = tape.input(x.clone());
    assert_eq!(
        inverted
            .forward(&mut tape, v, Mode::Eval, &mut rng(0))
            .unwrap(),
        v
    );
    let s = slide
        .forward(&mut tape, v, Mode::Eval, &mut rng(0))
        .unwrap();
    assert_eq!(tape.value(s).unwrap(), &test_slide);
}

#[test]
fn p_one_gives_zeros_not_nan_and_p_zero_is_identity() {
    let x = Tensor::<f32>::full(&[1000], 3.0);
    let y = Dropout::new(1.0)
        .unwrap()
        .forward_tensor(&x, Mode::Train, &mut rng(6))
        .unwrap();
    assert!(y.as_slice().iter().all(|&v| v == 0.0));
    let mut tape = Tape::<f32>::new();
    let v = tape.input(x.clone());
    let y = Dropout::new(1.0)
        .unwrap()
        .forward(&mut tape, v, Mode::Train, &mut rng(6))
        .unwrap();
    let s = tape.sum(y).unwrap();
    tape.backward(s).unwrap();
    assert!(
        tape.grad(v)
            .unwrap()
            .unwrap()
            .as_slice()
            .iter()
            .all(|&g| g == 0.0)
    );
    let y = Dropout::new(0.0)
        .unwrap()
        .forward_tensor(&x, Mode::Train, &mut rng(6))
        .unwrap();
    assert_eq!(y, x);
}

#[test]
fn seeded_masks_repeat_exactly() {
    let d = Dropout::new(0.5).unwrap();
    let a: Tensor<f32> = d.sample_mask(&[64, 64], &mut rng(7));
    let b: Tensor<f32> = d.sample_mask(&[64, 64], &mut rng(7));
    let c: Tensor<f32> = d.sample_mask(&[64, 64], &mut rng(8));
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn bad_p_is_an_error() {
    for p in [-0.1, 1.0001, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            Dropout::new(p),
            Err(RegError::InvalidHyperparameter { name: "p", .. })
        ));
    }
    let d: Dropout = serde_json::from_str(r#"{"p": 2.0}"#).unwrap();
    let x = Tensor::<f64>::ones(&[2]);
    assert!(d.forward_tensor(&x, Mode::Train, &mut rng(0)).is_err());
    let mut tape = Tape::<f64>::new();
    let v = tape.input(x);
    assert!(d.forward(&mut tape, v, Mode::Eval, &mut rng(0)).is_err());
    assert!(
        Dropout::new(0.5)
            .unwrap()
            .forward_with_mask(&mut tape, v, Tensor::ones(&[3]))
            .is_err()
    );
}

#[test]
fn dropout_serde_defaults_to_inverted() {
    let d: Dropout = serde_json::from_str(r#"{"p": 0.25}"#).unwrap();
    assert_eq!(d, Dropout::new(0.25).unwrap());
    let s = Dropout::with_scaling(0.5, DropoutScaling::AtTest).unwrap();
    assert_eq!(
        serde_json::from_str::<Dropout>(&serde_json::to_string(&s).unwrap()).unwrap(),
        s
    );
}

#[test]
fn gaussian_noise_statistics_and_modes() {
    let sigma = 0.5;
    let noise = GaussianNoise::new(sigma).unwrap();
    let n = 100_000;
    let mut x = Tensor::<f64>::full(&[n], 1.0);
    noise.apply(&mut x, Mode::Train, &mut rng(9)).unwrap();
    let (mean, se) = mean_and_se(&x);
    assert!(
        (mean - 1.0).abs() < 5.0 * sigma / (n as f64).sqrt(),
        "{mean}"
    );
    let sd = se * (n as f64).sqrt();
    // The standard error of a sample standard deviation is about σ/√(2n).
    assert!(
        (sd - sigma).abs() < 5.0 * sigma / (2.0 * n as f64).sqrt(),
        "{sd}"
    );
    let mut y = Tensor::<f64>::full(&[10], 1.0);
    noise.apply(&mut y, Mode::Eval, &mut rng(9)).unwrap();
    assert_eq!(y, Tensor::full(&[10], 1.0));
}

#[test]
fn gaussian_noise_on_the_tape_passes_the_gradient_through() {
    let noise = GaussianNoise::new(0.1).unwrap();
    let mut tape = Tape::<f64>::new();
    let x = tape.input(Tensor::from_vec(&[3], vec![1.0, 2.0, 3.0]).unwrap());
    let y = noise
        .forward(&mut tape, x, Mode::Train, &mut rng(10))
        .unwrap();
    let diff = tape.value(y).unwrap().sub(tape.value(x).unwrap()).unwrap();
    assert!(diff.as_slice().iter().all(|&d| d != 0.0 && d.abs() < 1.0));
    let s = tape.sum(y).unwrap();
    tape.backward(s).unwrap();
    assert_eq!(tape.grad(x).unwrap().unwrap().as_slice(), &[1.0; 3]);
    assert_eq!(
        noise
            .forward(&mut tape, x, Mode::Eval, &mut rng(10))
            .unwrap(),
        x
    );
    // Seeded noise repeats exactly.
    let a: Tensor<f32> = noise.sample(&[50], &mut rng(11));
    assert_eq!(a, noise.sample(&[50], &mut rng(11)));
}

#[test]
fn negative_noise_std_is_an_error() {
    assert!(GaussianNoise::new(-1.0).is_err());
    assert!(GaussianNoise::new(f64::NAN).is_err());
    let bad = GaussianNoise { std: -1.0 };
    assert!(
        bad.apply(&mut Tensor::<f64>::ones(&[1]), Mode::Train, &mut rng(0))
            .is_err()
    );
}

#[test]
fn mode_is_serde_and_defaults_to_train() {
    assert_eq!(Mode::default(), Mode::Train);
    assert_eq!(serde_json::to_string(&Mode::Eval).unwrap(), r#""Eval""#);
}
