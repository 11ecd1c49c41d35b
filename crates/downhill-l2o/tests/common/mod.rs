//! Helpers shared by the step-rule tests (`growth.rs`, `reversal.rs`, `loss_shrink.rs`).

use std::sync::Arc;

use downhill_l2o::{LearnedNet, LearnedOptimizer, MetaTrainConfig};
use downhill_optim::Optimizer;
use downhill_tensor::Tensor;

/// The update RMS of every step of `net` (lr 1) on the gradients `grads`, from parameters of
/// ones shaped like the first gradient.
pub fn update_rms(net: LearnedNet, grads: &[Tensor<f64>]) -> Vec<f64> {
    update_rms_observing(net, grads, &[])
}

/// [`update_rms`], telling the optimizer `losses[t]` before step `t` (no loss for the steps
/// beyond `losses`).
pub fn update_rms_observing(net: LearnedNet, grads: &[Tensor<f64>], losses: &[f64]) -> Vec<f64> {
    let mut opt = LearnedOptimizer::<f64>::new(Arc::new(net));
    let Some(first) = grads.first() else {
        return Vec::new();
    };
    let mut p = vec![Tensor::<f64>::ones(first.shape())];
    grads
        .iter()
        .enumerate()
        .map(|(t, g)| {
            if let Some(&l) = losses.get(t) {
                opt.observe_loss(l).unwrap();
            }
            let before = p[0].clone();
            opt.step_tensors(&mut p, std::slice::from_ref(g)).unwrap();
            let d = p[0].as_slice().iter().zip(before.as_slice());
            let n = before.len() as f64;
            (d.map(|(a, b)| (a - b) * (a - b)).sum::<f64>() / n).sqrt()
        })
        .collect()
}

/// A meta-training run small enough for a test: one iteration, one antithetic pair, two tasks
/// of eight steps, no validation; the step rules are set by the caller.
pub fn tiny_meta_config() -> MetaTrainConfig {
    MetaTrainConfig {
        iterations: 1,
        pairs: 1,
        tasks: 2,
        unroll: 8,
        validate_every: 0,
        ..MetaTrainConfig::default()
    }
}
