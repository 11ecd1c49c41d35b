//! The loss shrink (the bold driver as one global scale): the loss observed before each step
//! cuts every update when it is above the running average of the losses before it and lets the
//! scale recover otherwise; the value travels with the weights, and bad values are rejected.

use std::collections::BTreeMap;
use std::sync::Arc;

use downhill_l2o::{
    FORMAT, FORMAT_V4, L2oError, LOSS_SHRINK_KEY, LearnedNet, LearnedOptimizer, MetaTrainConfig,
    meta_train,
};
use downhill_optim::{Adam, OptimError, Optimizer};
use downhill_tensor::Tensor;

mod common;
use common::{free_net, patch, update_rms, update_rms_observing};

const N: usize = 16;

/// The same gradient every step (no reversal, so only the loss shrink can act).
fn steady(steps: usize) -> Vec<Tensor<f64>> {
    let g = (0..N).map(|i| 1e-2 * (1.0 + (i as f64 * 0.37).sin()));
    vec![Tensor::from_vec(&[N], g.collect()).unwrap(); steps]
}

/// The loss shrink's scale after each of `losses`, read from the optimizer's state.
fn scales(net: LearnedNet, losses: &[f64]) -> Vec<f64> {
    let mut opt = LearnedOptimizer::<f64>::new(Arc::new(net));
    losses
        .iter()
        .map(|&l| {
            opt.observe_loss(l).unwrap();
            opt.state_dict().scalars["loss_scale"]
        })
        .collect()
}

#[test]
fn a_rising_loss_cuts_the_scale_and_a_falling_one_lets_it_recover() {
    let net = free_net().with_loss_shrink(Some(0.5)).unwrap();
    // Loss 1, then 2 (above the average 1): 0.5; then 3 (above 0.9·1 + 0.1·2 = 1.1): 0.25;
    // then losses far below the average: ×1.1 each, capped at 1.
    let mut losses = vec![1.0, 2.0, 3.0];
    losses.extend([0.1; 20]);
    let got = scales(net.clone(), &losses);
    let mut expected = vec![1.0, 0.5, 0.25];
    for k in 1..=20 {
        expected.push((0.25 * 1.1f64.powi(k)).min(1.0));
    }
    for (g, e) in got.iter().zip(&expected) {
        assert!((g - e).abs() < 1e-12, "{got:?}");
    }
    assert_eq!(got[22], 1.0, "0.25·1.1²⁰ > 1: capped");
    // A steadily falling loss never cuts.
    let falling: Vec<f64> = (0..8).map(|t| 0.5f64.powi(t)).collect();
    assert!(scales(net.clone(), &falling).iter().all(|&s| s == 1.0));
    // η_L = 1 is no shrink at all.
    let one = free_net().with_loss_shrink(Some(1.0)).unwrap();
    assert!(scales(one, &losses).iter().all(|&s| s == 1.0));
    // Without a loss shrink the scale stays 1 whatever the loss does.
    assert!(scales(free_net(), &losses).iter().all(|&s| s == 1.0));
}

#[test]
fn the_scale_multiplies_the_whole_update() {
    // The free network is told the same losses: a network with the oscillation features
    // reads the loss change, so only the scale may differ between the two.
    let net = free_net().with_loss_shrink(Some(0.5)).unwrap();
    let grads = steady(3);
    let first_update_rms = |net: LearnedNet| {
        // Losses 1, 2, 3 before the first step.
        let mut opt = LearnedOptimizer::<f64>::new(Arc::new(net));
        for l in [1.0, 2.0, 3.0] {
            opt.observe_loss(l).unwrap();
        }
        let mut p = vec![Tensor::<f64>::ones(&[N])];
        opt.step_tensors(&mut p, &grads[..1]).unwrap();
        (p[0]
            .as_slice()
            .iter()
            .map(|v| (v - 1.0).powi(2))
            .sum::<f64>()
            / N as f64)
            .sqrt()
    };
    // Two rises: the first update is a quarter of the free one.
    let (rms, free_rms) = (first_update_rms(net.clone()), first_update_rms(free_net()));
    assert!((rms / free_rms - 0.25).abs() < 1e-12, "{rms} vs {free_rms}");
    // A steadily falling loss: bitwise the optimizer without the rule told the same losses,
    // and a loop that never reports a loss is bitwise the free optimizer.
    let falling = [1.0, 0.5, 0.25];
    assert_eq!(
        update_rms_observing(net.clone(), &grads, &falling),
        update_rms_observing(free_net(), &grads, &falling)
    );
    assert_eq!(update_rms(net, &grads), update_rms(free_net(), &grads));
}

#[test]
fn the_scale_never_reaches_zero_and_survives_a_state_round_trip() {
    let net = Arc::new(free_net().with_loss_shrink(Some(0.1)).unwrap());
    let mut opt = LearnedOptimizer::<f64>::new(net.clone());
    // 400 rising losses: 0.1⁴⁰⁰ would underflow; the scale stops at its floor instead.
    for t in 0..400 {
        opt.observe_loss(t as f64).unwrap();
    }
    let s = opt.state_dict();
    let scale = s.scalars["loss_scale"];
    assert!(scale > 0.0 && scale < 1e-11, "{scale}");
    // It loads back; a corrupted scale is rejected and loses nothing.
    common::state_round_trips_and_rejects(net, &s, "loss_scale", 2.0);
}

#[test]
fn a_non_finite_loss_is_rejected_by_the_learned_optimizer_and_ignored_by_adam() {
    let net = Arc::new(free_net().with_loss_shrink(Some(0.5)).unwrap());
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut opt = LearnedOptimizer::<f64>::new(net.clone());
        opt.observe_loss(1.0).unwrap();
        let before = opt.state_dict();
        match opt.observe_loss(bad) {
            Err(OptimError::InvalidHyperparameter { name: "loss", .. }) => {}
            other => panic!("{other:?}"),
        }
        assert_eq!(opt.state_dict().scalars, before.scalars, "nothing changed");
        // The default hook of the other optimizers does nothing, whatever the value.
        let mut adam = Adam::default().build::<f64>().unwrap();
        adam.observe_loss(bad).unwrap();
    }
}

#[test]
fn the_loss_shrink_is_saved_with_the_weights_in_its_own_format() {
    let net = LearnedNet::shipped()
        .unwrap()
        .with_loss_shrink(Some(0.5))
        .unwrap();
    let stale = BTreeMap::from([(LOSS_SHRINK_KEY.to_string(), "0.9".to_string())]);
    let bytes = net.to_safetensors(&stale).unwrap();
    let (back, meta) = LearnedNet::from_safetensors(&bytes).unwrap();
    assert_eq!(back, net);
    assert_eq!(meta[LOSS_SHRINK_KEY], "0.5");
    assert_eq!(meta["format"], FORMAT_V4);
    // Without a loss shrink the file keeps the older format.
    let plain = LearnedNet::shipped()
        .unwrap()
        .to_safetensors(&stale)
        .unwrap();
    let (_, meta) = LearnedNet::from_safetensors(&plain).unwrap();
    assert_eq!(meta["format"], FORMAT);
    assert!(!meta.contains_key(LOSS_SHRINK_KEY));
}

#[test]
fn bad_loss_shrinks_and_mismatched_formats_are_rejected_with_their_name() {
    common::shrinks_out_of_range_are_rejected(
        LearnedNet::with_loss_shrink,
        "loss shrink",
        |loss_shrink| MetaTrainConfig {
            loss_shrink,
            ..MetaTrainConfig::default()
        },
        "loss_shrink",
    );
    let net = free_net().with_loss_shrink(Some(0.5)).unwrap();
    let good = net.to_safetensors(&BTreeMap::new()).unwrap();
    let weights_err = |bytes: &[u8]| match LearnedNet::from_safetensors(bytes) {
        Err(L2oError::Weights(m)) => m,
        other => panic!("{other:?}"),
    };
    // A bad value names the key.
    let mut bytes = good.clone();
    patch(&mut bytes, b"\"0.5\"", b"\"2.0\"");
    assert!(weights_err(&bytes).contains(LOSS_SHRINK_KEY));
    // The key in a format-/3 file (a reader of /3 would run the network without the rule).
    let mut bytes = good.clone();
    patch(&mut bytes, b"downhill-l2o/4", b"downhill-l2o/3");
    let m = weights_err(&bytes);
    assert!(m.contains(LOSS_SHRINK_KEY) && m.contains(FORMAT_V4), "{m}");
}

#[test]
fn meta_training_runs_with_the_loss_shrink() {
    // A large initial step, so that some unrolled losses rise and the rule acts.
    let cfg = |loss_shrink| MetaTrainConfig {
        loss_shrink,
        initial_lr: 3.0,
        ..common::tiny_meta_config()
    };
    let shrunk = meta_train(&cfg(Some(0.25)), |_| {}).unwrap();
    assert_eq!(shrunk.net.loss_shrink, Some(0.25));
    let free = meta_train(&cfg(None), |_| {}).unwrap();
    assert_ne!(shrunk.records[0].meta_loss, free.records[0].meta_loss);
}
