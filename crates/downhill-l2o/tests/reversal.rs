//! The reversal shrink: a tensor's update is multiplied by `η` when its gradient points against
//! its fast momentum; the value travels with the weights, and bad values are rejected.

use std::collections::BTreeMap;

use downhill_l2o::{
    FORMAT, L2oError, LearnedNet, MetaTrainConfig, REVERSAL_SHRINK_KEY, meta_train,
};
use downhill_tensor::Tensor;

mod common;
use common::update_rms;

const N: usize = 16;

/// A gradient of sign `sign` and size `scale`, varying across the tensor.
fn gradient(scale: f64, sign: f64) -> Tensor<f64> {
    let g = (0..N).map(|i| sign * scale * (1.0 + (i as f64 * 0.37).sin()));
    Tensor::from_vec(&[N], g.collect()).unwrap()
}

/// The shipped network without its step rules (growth limit and reversal shrink).
fn free_net() -> LearnedNet {
    LearnedNet::shipped()
        .unwrap()
        .with_growth_limit(None)
        .and_then(|n| n.with_reversal_shrink(None))
        .unwrap()
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
    for bad in [0.0, -0.5, 1.5, f64::NAN, f64::INFINITY] {
        let err = free_net()
            .with_reversal_shrink(Some(bad))
            .unwrap_err()
            .to_string();
        assert!(err.contains("reversal shrink"), "{err}");
        let cfg = MetaTrainConfig {
            reversal_shrink: Some(bad),
            ..MetaTrainConfig::default()
        };
        let err = meta_train(&cfg, |_| {}).unwrap_err().to_string();
        assert!(err.contains("reversal_shrink"), "{err}");
    }
    // A bad value in a file's metadata names the key.
    let net = free_net().with_reversal_shrink(Some(0.5)).unwrap();
    let mut bytes = net.to_safetensors(&BTreeMap::new()).unwrap();
    // The value is the header's only `"0.5"`; overwrite it in place (same length).
    let at = bytes.windows(5).position(|w| w == b"\"0.5\"").unwrap();
    bytes[at..at + 5].copy_from_slice(b"\"2.0\"");
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
