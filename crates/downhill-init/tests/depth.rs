//! The lab's claims about initialization and depth, measured with the depth probe.

mod common;

use common::rng;
use downhill_init::Init;
use downhill_init::depth_probe::{Activation, ProbeTrace, activation_stats, trace, unit_spread};
use downhill_tensor::{Tensor, Transpose};

const DEPTH: usize = 20;

fn widths(width: usize) -> Vec<usize> {
    vec![width; DEPTH + 1]
}

#[test]
fn he_keeps_relu_networks_at_scale_through_20_layers() {
    let he: Init = "he_normal".parse().unwrap();
    let stats =
        activation_stats::<f64>(&he, Activation::Relu, &widths(256), 256, &mut rng(1)).unwrap();
    assert_eq!(stats.len(), DEPTH);
    let ratio = stats[DEPTH - 1].pre_activation.std / stats[0].pre_activation.std;
    assert!(
        (0.5..=2.0).contains(&ratio),
        "He/ReLU last/first std ratio {ratio}"
    );
    let grad_ratio = stats[0].gradient.std / stats[DEPTH - 1].gradient.std;
    assert!(
        (0.5..=2.0).contains(&grad_ratio),
        "He/ReLU gradient ratio {grad_ratio}"
    );
    // First layer pre-activations: Var(s) = n·(2/n)·1 = 2.
    assert!(
        (stats[0].pre_activation.std - 2f64.sqrt()).abs() < 0.1,
        "{}",
        stats[0].pre_activation.std
    );
}

#[test]
fn xavier_keeps_tanh_networks_at_scale_through_20_layers() {
    let xavier: Init = "xavier_normal".parse().unwrap();
    let stats =
        activation_stats::<f64>(&xavier, Activation::Tanh, &widths(256), 256, &mut rng(2)).unwrap();
    let last = stats[DEPTH - 1].activation.std;
    // tanh is contracting, so the std drifts slowly down, but stays far from 0 and from saturation.
    assert!(last > 0.1 && last < 1.0, "Xavier/tanh layer-20 std {last}");
}

#[test]
fn small_random_weights_vanish_with_depth() {
    for activation in [Activation::Tanh, Activation::Relu] {
        let small: Init = "small_normal".parse().unwrap();
        let stats =
            activation_stats::<f64>(&small, activation, &widths(100), 64, &mut rng(3)).unwrap();
        let (first, last) = (stats[0].activation.std, stats[DEPTH - 1].activation.std);
        assert!(
            first > 0.0 && last < 1e-10 * first,
            "{activation:?}: layer 1 {first}, layer 20 {last}"
        );
        assert!(
            stats[0].gradient.std < 1e-10 * stats[DEPTH - 1].gradient.std,
            "{activation:?}: gradients"
        );
    }
}

#[test]
fn zero_and_constant_init_leave_hidden_units_identical() {
    for (init, activation) in [
        (Init::Zeros, Activation::Tanh),
        (Init::Constant { value: 0.05 }, Activation::Relu),
    ] {
        let stats =
            activation_stats::<f64>(&init, activation, &widths(32), 16, &mut rng(4)).unwrap();
        assert!(
            stats.iter().all(|s| s.unit_spread == 0.0),
            "{init}: {stats:?}"
        );
        // The gradients reaching the hidden units are identical too, so the weight gradients
        // ∂L/∂W_l = (∂L/∂s_l)ᵀ·h_{l−1} have identical rows: gradient descent never breaks the
        // symmetry. (Only the last layer sees the random output gradient directly.)
        let t = trace::<f64>(&init, activation, &widths(32), 16, &mut rng(4)).unwrap();
        for g in &t.gradients[..DEPTH - 1] {
            assert_eq!(unit_spread(g), 0.0, "{init}");
        }
        assert!(unit_spread(&t.gradients[DEPTH - 1]) > 0.0 || init == Init::Zeros);
    }
    // Random init breaks the symmetry.
    let stats = activation_stats::<f64>(
        &Init::default(),
        Activation::Tanh,
        &widths(32),
        16,
        &mut rng(4),
    )
    .unwrap();
    assert!(stats.iter().all(|s| s.unit_spread > 0.0));
}

#[test]
fn probe_is_reproducible_and_works_in_f32() {
    let he: Init = "he_uniform".parse().unwrap();
    let a = activation_stats::<f32>(
        &he,
        Activation::LeakyRelu(0.1),
        &[10, 20, 30, 5],
        8,
        &mut rng(5),
    )
    .unwrap();
    let b = activation_stats::<f32>(
        &he,
        Activation::LeakyRelu(0.1),
        &[10, 20, 30, 5],
        8,
        &mut rng(5),
    )
    .unwrap();
    assert_eq!(a, b);
    assert_eq!(a.len(), 3);
    assert_eq!(a.iter().map(|s| s.layer).collect::<Vec<_>>(), vec![1, 2, 3]);
    let t = trace::<f32>(&he, Activation::Sigmoid, &[10, 20, 5], 8, &mut rng(5)).unwrap();
    assert_eq!(t.weights[0].shape(), &[20, 10]);
    assert_eq!(t.activations[1].shape(), &[8, 5]);
    assert_eq!(t.gradients[0].shape(), &[8, 20]);
}

/// `L = Σ g⊙h_L` recomputed from scratch for the given weights.
fn loss(t: &ProbeTrace<f64>, weights: &[Tensor<f64>]) -> f64 {
    let mut h = t.input.clone();
    for w in weights {
        h = h.matmul_t(Transpose::No, w, Transpose::Yes).unwrap().tanh();
    }
    h.mul(&t.output_gradient).unwrap().sum()
}

#[test]
fn hand_backprop_matches_finite_differences() {
    let init: Init = "xavier_normal".parse().unwrap();
    let t = trace::<f64>(&init, Activation::Tanh, &[3, 4, 4, 2], 5, &mut rng(6)).unwrap();
    let inputs = [&t.input, &t.activations[0], &t.activations[1]];
    for (l, h_prev) in inputs.iter().enumerate() {
        // ∂L/∂W_l = (∂L/∂s_l)ᵀ·h_{l−1}
        let analytic = t.gradients[l]
            .matmul_t(Transpose::Yes, h_prev, Transpose::No)
            .unwrap();
        for k in 0..t.weights[l].len() {
            let eps = 1e-6;
            let mut plus = t.weights.clone();
            plus[l].as_mut_slice()[k] += eps;
            let mut minus = t.weights.clone();
            minus[l].as_mut_slice()[k] -= eps;
            let numeric = (loss(&t, &plus) - loss(&t, &minus)) / (2.0 * eps);
            let a = analytic.as_slice()[k];
            assert!(
                (numeric - a).abs() < 1e-7 * (1.0 + a.abs()),
                "layer {l} weight {k}: {numeric} vs {a}"
            );
        }
    }
}
