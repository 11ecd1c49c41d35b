//! The reversal shrink: a tensor's update is multiplied by `η` when its gradient points against
//! its fast momentum; the value travels with the weights, and bad values are rejected.

use std::collections::BTreeMap;

use downhill_l2o::{
    FORMAT, L2oError, LearnedNet, MetaTrainConfig, REVERSAL_SHRINK_KEY, meta_train,
};
use downhill_tensor::Tensor;

mod common;
use common::{free_net, patch, update_rms};

const N: usize = 16;

/// A gradient of sign `sign` and size `scale`, varying across the tensor.
fn gradient(scale: f64, sign: f64) -> Tensor<f64> {
    let g = (0..N).map(|i| sign * scale * (1.0 + (i as f64 * 0.37).sin()));
    Tensor::from_vec(&[N], g.collect()).unwrap()
}

#[test]
fn the_shipped_weights_carry_their_shrink() {
    // Meta-trained with η = 0.85 (assets/l2o/HISTORY.md, section "Session 8", candidate F2).
    assert_eq!(LearnedNet::shipped().unwrap().reversal_shrink, Some(0.85));
}

#[test]
fn a_reversed_gradient_shrinks_the_update_and_a_steady_one_does_not() {
    let shrunk = free_net().with_reversal_shrink(Some(0.5)).unwrap();
    // Signs +, −: the second gradient points against the momentum of the first.
    let flip = [gradient(1e-2, 1.0), gradient(1e-2, -1.0)];
    let (free, with) = (
        update_rms(free_net(), &flip),
        update_rms(shrunk.clone(), &flip),
    );
    assert_eq!(
        with[0], free[0],
        "the first step has no momentum to reverse"
    );
    assert!(free[1] > 0.0);
    assert!(
        (with[1] / free[1] - 0.5).abs() < 1e-12,
        "{with:?} vs {free:?}"
    );
    // Gradients of one sign that grow: never reversed, bitwise the optimizer without a shrink.
    let steady: Vec<_> = (0..6).map(|t| gradient(10f64.powi(t - 3), 1.0)).collect();
    assert_eq!(update_rms(shrunk, &steady), update_rms(free_net(), &steady));
    // η = 1 is no shrink at all.
    let one = free_net().with_reversal_shrink(Some(1.0)).unwrap();
    assert_eq!(update_rms(one, &flip), free);
}

#[test]
fn the_shrink_is_saved_with_the_weights() {
    let net = free_net().with_reversal_shrink(Some(0.5)).unwrap();
    let stale = BTreeMap::from([(REVERSAL_SHRINK_KEY.to_string(), "0.9".to_string())]);
    let bytes = net.to_safetensors(&stale).unwrap();
    let (back, meta) = LearnedNet::from_safetensors(&bytes).unwrap();
    assert_eq!(back, net);
    assert_eq!(meta[REVERSAL_SHRINK_KEY], "0.5");
    // A shrink without a growth limit is still format /3: an older reader must not run it.
    assert_eq!(meta["format"], FORMAT);
}

#[test]
fn bad_shrinks_are_rejected_with_their_name() {
    common::shrinks_out_of_range_are_rejected(
        LearnedNet::with_reversal_shrink,
        "reversal shrink",
        |reversal_shrink| MetaTrainConfig {
            reversal_shrink,
            ..MetaTrainConfig::default()
        },
        "reversal_shrink",
    );
    // A bad value in a file's metadata names the key.
    let net = free_net().with_reversal_shrink(Some(0.5)).unwrap();
    let mut bytes = net.to_safetensors(&BTreeMap::new()).unwrap();
    // The value is the header's only `"0.5"`; overwrite it in place (same length).
    patch(&mut bytes, b"\"0.5\"", b"\"2.0\"");
    match LearnedNet::from_safetensors(&bytes) {
        Err(L2oError::Weights(m)) => assert!(m.contains(REVERSAL_SHRINK_KEY), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn meta_training_runs_with_the_shrink() {
    let cfg = |reversal_shrink| MetaTrainConfig {
        reversal_shrink,
        ..common::tiny_meta_config()
    };
    let shrunk = meta_train(&cfg(Some(0.25)), |_| {}).unwrap();
    assert_eq!(shrunk.net.reversal_shrink, Some(0.25));
    let free = meta_train(&cfg(None), |_| {}).unwrap();
    assert_ne!(shrunk.records[0].meta_loss, free.records[0].meta_loss);
}

/// Gradients whose sign alternates every step (a persistent reversal) for `n` steps.
fn alternating(n: usize) -> Vec<Tensor<f64>> {
    (0..n)
        .map(|t| gradient(1e-2, if t % 2 == 0 { 1.0 } else { -1.0 }))
        .collect()
}

#[test]
fn with_a_recovery_the_shrink_persists_and_compounds() {
    let one_step = free_net().with_reversal_shrink(Some(0.5)).unwrap();
    let persistent = one_step.clone().with_reversal_recovery(Some(1.1)).unwrap();
    let grads = alternating(6);
    let free = update_rms(free_net(), &grads);
    let (once, kept) = (
        update_rms(one_step, &grads),
        update_rms(persistent.clone(), &grads),
    );
    // The first reversal (step 2) is cut by η either way.
    assert_eq!(kept[0], free[0]);
    assert!(
        (kept[1] / free[1] - 0.5).abs() < 1e-12,
        "{kept:?} vs {free:?}"
    );
    assert_eq!(kept[1], once[1]);
    // Every later step reverses too: the persistent scale compounds to 0.5⁵ by step 6, while
    // the one-step shrink cuts each step by 0.5 alone (the runs see different parameters by
    // then, so the ratios to the free run are not exact).
    for t in 2..6 {
        assert!(kept[t] < once[t], "step {t}: {kept:?} vs {once:?}");
    }
    assert!(kept[5] < 0.1 * free[5], "{kept:?} vs {free:?}");
    // Gradients of one sign: never reversed, bitwise the optimizer without any shrink.
    let steady: Vec<_> = (0..6).map(|t| gradient(10f64.powi(t - 3), 1.0)).collect();
    assert_eq!(
        update_rms(persistent.clone(), &steady),
        update_rms(free_net(), &steady)
    );
}

#[test]
fn the_persistent_scale_recovers_to_one_and_survives_a_state_round_trip() {
    use downhill_l2o::LearnedOptimizer;
    use downhill_optim::Optimizer;
    let net = free_net()
        .with_reversal_shrink(Some(0.5))
        .and_then(|n| n.with_reversal_recovery(Some(2.0)))
        .unwrap();
    let mut opt = LearnedOptimizer::<f64>::new(std::sync::Arc::new(net));
    let mut p = vec![Tensor::<f64>::ones(&[N])];
    let scale = |o: &LearnedOptimizer<f64>| o.state_dict().scalars["0.reversal_scale"];
    // Four reversals: 0.5⁴ (the first step has no momentum to reverse).
    for g in alternating(5) {
        opt.step_tensors(&mut p, &[g]).unwrap();
    }
    assert_eq!(scale(&opt), 0.0625);
    // It loads back; a scale outside (0, 1] is rejected, naming it, and nothing changes.
    common::state_round_trips_and_rejects(
        opt.net().clone(),
        &opt.state_dict(),
        "0.reversal_scale",
        0.0,
    );
    // Steps that agree with the momentum: ×2 each, back to 1 after four, then capped.
    let last = gradient(1e-2, 1.0);
    for _ in 0..5 {
        opt.step_tensors(&mut p, std::slice::from_ref(&last))
            .unwrap();
    }
    assert_eq!(scale(&opt), 1.0);
}

#[test]
fn the_recovery_is_saved_in_format_4_and_needs_its_shrink() {
    use downhill_l2o::{FORMAT_V4, REVERSAL_RECOVERY_KEY};
    let net = free_net()
        .with_reversal_shrink(Some(0.85))
        .and_then(|n| n.with_reversal_recovery(Some(1.1)))
        .unwrap();
    let bytes = net.to_safetensors(&BTreeMap::new()).unwrap();
    let (back, meta) = LearnedNet::from_safetensors(&bytes).unwrap();
    assert_eq!(back, net);
    assert_eq!(meta[REVERSAL_RECOVERY_KEY], "1.1");
    assert_eq!(meta["format"], FORMAT_V4);
    // Bad values name the setting.
    for bad in [0.5, f64::NAN, f64::INFINITY] {
        let err = free_net()
            .with_reversal_recovery(Some(bad))
            .unwrap_err()
            .to_string();
        assert!(err.contains("reversal recovery"), "{err}");
    }
    // In meta-training the recovery needs a shrink.
    let cfg = MetaTrainConfig {
        reversal_recovery: Some(1.1),
        ..common::tiny_meta_config()
    };
    let err = meta_train(&cfg, |_| {}).unwrap_err().to_string();
    assert!(
        err.contains("reversal_recovery") && err.contains("reversal_shrink"),
        "{err}"
    );
    // A file with a recovery but no shrink is rejected, naming both keys.
    let lone = free_net().with_reversal_recovery(Some(1.1)).unwrap();
    let bytes = lone.to_safetensors(&BTreeMap::new()).unwrap();
    match LearnedNet::from_safetensors(&bytes) {
        Err(L2oError::Weights(m)) => {
            assert!(
                m.contains(REVERSAL_RECOVERY_KEY) && m.contains(REVERSAL_SHRINK_KEY),
                "{m}"
            )
        }
        other => panic!("{other:?}"),
    }
}
