//! Helpers shared by the step-rule tests (`growth.rs`, `reversal.rs`, `loss_shrink.rs`) and the
//! meta-loss tests (`meta.rs`, `real.rs`).
#![allow(dead_code)] // each test file uses its own subset

use std::sync::Arc;

use downhill_l2o::{
    L2oRng, LearnedNet, LearnedOptimizer, MetaTrainConfig, Task, meta_objective, meta_train, unroll,
};
use downhill_optim::{Optimizer, StateDict};
use downhill_tensor::Tensor;
use rand::SeedableRng;

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

/// The initial network's flat meta-parameters and, per task, its [`meta_objective`] (floor
/// −16, the default) over `steps` steps: with τ = 0 and one task per kind, `meta_loss` is the
/// kind-weighted mean of these.
pub fn initial_theta_and_objectives(tasks: &[Box<dyn Task>], steps: usize) -> (Vec<f64>, Vec<f64>) {
    let (theta, losses) = initial_theta_and_losses(tasks, steps);
    let objectives = losses.iter().map(|l| meta_objective(l, -16.0)).collect();
    (theta, objectives)
}

/// The initial network's flat meta-parameters and, per task, the losses of its unroll over
/// `steps` steps (for objectives other than [`meta_objective`]).
pub fn initial_theta_and_losses(
    tasks: &[Box<dyn Task>],
    steps: usize,
) -> (Vec<f64>, Vec<Vec<f64>>) {
    let net = LearnedNet::initial(&mut L2oRng::seed_from_u64(0));
    let theta = net.to_flat();
    let net = Arc::new(net);
    let losses = tasks
        .iter()
        .map(|t| {
            let mut opt = LearnedOptimizer::<f64>::new(net.clone());
            unroll(t.as_ref(), &mut opt, steps).unwrap()
        })
        .collect();
    (theta, losses)
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

/// The shipped network without its step rules (growth limit, reversal shrink), so that a test
/// can switch on exactly the rule it checks.
pub fn free_net() -> LearnedNet {
    LearnedNet::shipped()
        .unwrap()
        .with_growth_limit(None)
        .and_then(|n| n.with_reversal_shrink(None))
        .unwrap()
}

/// Replaces the only occurrence of `from` in `bytes` by `to` (same length): edits a value in a
/// safetensors header in place.
pub fn patch(bytes: &mut [u8], from: &[u8], to: &[u8]) {
    let at = bytes.windows(from.len()).position(|w| w == from).unwrap();
    bytes[at..at + from.len()].copy_from_slice(to);
}

/// A step-rule value outside (0, 1] is rejected both when set on a network (`with`, the error
/// naming `net_name`) and in a meta-training configuration (`set`, naming `cfg_name`).
pub fn shrinks_out_of_range_are_rejected(
    with: impl Fn(LearnedNet, Option<f64>) -> downhill_l2o::Result<LearnedNet>,
    net_name: &str,
    set: impl Fn(Option<f64>) -> MetaTrainConfig,
    cfg_name: &str,
) {
    for bad in [0.0, -0.5, 1.5, f64::NAN, f64::INFINITY] {
        let err = with(free_net(), Some(bad)).unwrap_err().to_string();
        assert!(err.contains(net_name), "{err}");
        let err = meta_train(&set(Some(bad)), |_| {}).unwrap_err().to_string();
        assert!(err.contains(cfg_name), "{err}");
    }
}

/// `saved` loads into a fresh optimizer on `net` and saves back unchanged; the same state with
/// the scalar `key` set to `bad` is rejected with an error naming `key`, leaving the optimizer
/// as it was.
pub fn state_round_trips_and_rejects(
    net: Arc<LearnedNet>,
    saved: &StateDict<f64>,
    key: &str,
    bad: f64,
) {
    let mut back = LearnedOptimizer::<f64>::new(net);
    back.load_state_dict(saved).unwrap();
    assert_eq!(back.state_dict().scalars, saved.scalars);
    let mut corrupted = saved.clone();
    corrupted.scalars.insert(key.into(), bad);
    let err = back.load_state_dict(&corrupted).unwrap_err().to_string();
    assert!(err.contains(key), "{err}");
    assert_eq!(back.state_dict().scalars, saved.scalars);
}
