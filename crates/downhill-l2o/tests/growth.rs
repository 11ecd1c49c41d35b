//! The update-growth limit: a tensor's update RMS grows by at most `γ` per step, the limit
//! travels with the weights, and bad values are rejected.

use std::collections::BTreeMap;
use std::sync::Arc;

use downhill_l2o::{
    FORMAT, FORMAT_NO_LIMIT, GROWTH_LIMIT_KEY, L2oError, L2oRng, LearnedNet, LearnedOptimizer,
    MetaTrainConfig, meta_train,
};
use downhill_optim::Optimizer;
use downhill_tensor::Tensor;
use rand::SeedableRng;

mod common;

const N: usize = 16;

/// Small gradients that flip sign every step (the momenta average out, so the Adam-like
/// directions and the update are small), then large ones of a fixed sign that grow tenfold
/// per step: without a limit the update RMS jumps by far more than 1.2 in one step.
fn gradient(t: usize) -> Tensor<f64> {
    let (scale, flip) = if t < 6 {
        (1e-3, if t % 2 == 0 { 1.0 } else { -1.0 })
    } else {
        (10f64.powi(t as i32 - 6), 1.0)
    };
    Tensor::from_vec(
        &[N],
        (0..N)
            .map(|i| scale * flip * (1.0 + (i as f64 * 0.37).sin()))
            .collect(),
    )
    .unwrap()
}

/// The update RMS of every step of `net` on [`gradient`] (lr 1).
fn update_rms(net: LearnedNet) -> Vec<f64> {
    common::update_rms(net, &(0..10).map(gradient).collect::<Vec<_>>())
}

fn max_growth(rms: &[f64]) -> f64 {
    rms.windows(2).map(|w| w[1] / w[0]).fold(0.0, f64::max)
}

#[test]
fn the_update_rms_grows_by_at_most_gamma_per_step() {
    // The shipped weights were meta-trained with γ = 1.2 and carry it; their reversal shrink is
    // taken off so that only the limit acts here.
    let shipped = LearnedNet::shipped().unwrap();
    assert_eq!(shipped.growth_limit, Some(1.2));
    let net = common::free_net();
    let free = update_rms(net.clone());
    assert!(max_growth(&free) > 2.0, "no growth to limit: {free:?}");
    let limited = update_rms(net.clone().with_growth_limit(Some(1.2)).unwrap());
    assert!(max_growth(&limited) <= 1.2 * (1.0 + 1e-12), "{limited:?}");
    // The runs are bitwise the same until the limit first acts (the first step never), and the
    // limit only ever scales a step down. After that the parameters differ, so the network's
    // later outputs (it sees the parameters) are no longer comparable step by step.
    let first = limited
        .iter()
        .zip(&free)
        .position(|(l, f)| l != f)
        .expect("the limit never acted");
    assert!(first >= 1, "the first step was limited");
    assert!(limited[first] < free[first], "{limited:?} vs {free:?}");
    // γ = ∞ in effect (a huge γ) is the unlimited optimizer, bitwise.
    let huge = update_rms(net.clone().with_growth_limit(Some(1e300)).unwrap());
    assert_eq!(huge, free);
}

#[test]
fn the_limit_is_saved_with_the_weights_and_in_the_state() {
    let net = LearnedNet::initial(&mut L2oRng::seed_from_u64(1))
        .with_growth_limit(Some(1.5))
        .unwrap();
    // The network's own value wins over a stale one in the caller's metadata.
    let stale = BTreeMap::from([(GROWTH_LIMIT_KEY.to_string(), "9".to_string())]);
    let (back, meta) = LearnedNet::from_safetensors(&net.to_safetensors(&stale).unwrap()).unwrap();
    assert_eq!(back.growth_limit, Some(1.5));
    assert_eq!(meta[GROWTH_LIMIT_KEY], "1.5");
    assert_eq!(meta["format"], FORMAT);
    assert_eq!(back, net);
    let none = LearnedNet::initial(&mut L2oRng::seed_from_u64(1));
    let (_, meta) = LearnedNet::from_safetensors(&none.to_safetensors(&stale).unwrap()).unwrap();
    assert!(!meta.contains_key(GROWTH_LIMIT_KEY), "{meta:?}");
    assert_eq!(meta["format"], FORMAT_NO_LIMIT);

    let mut opt = LearnedOptimizer::<f64>::new(Arc::new(net));
    let mut p = vec![Tensor::<f64>::ones(&[N])];
    for t in 0..3 {
        opt.step_tensors(&mut p, &[gradient(t)]).unwrap();
    }
    let mut state = opt.state_dict();
    assert!(state.scalars["0.update_rms"] > 0.0);
    // State saved before the limit existed has no `update_rms`: it loads, with no limit on
    // the next step.
    state.scalars.remove("0.update_rms");
    opt.load_state_dict(&state).unwrap();
    state.scalars.insert("0.update_rms".into(), f64::NAN);
    let err = opt.load_state_dict(&state).unwrap_err().to_string();
    assert!(err.contains("update_rms"), "{err}");
}

#[test]
fn bad_limits_are_rejected_with_their_name() {
    for bad in [0.5, -1.0, f64::NAN, f64::INFINITY] {
        let err = LearnedNet::shipped()
            .unwrap()
            .with_growth_limit(Some(bad))
            .unwrap_err()
            .to_string();
        assert!(err.contains("growth limit"), "{err}");
        let err = meta_train(
            &MetaTrainConfig {
                growth_limit: Some(bad),
                ..MetaTrainConfig::default()
            },
            |_| {},
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("growth_limit"), "{err}");
    }
    let net = LearnedNet::initial(&mut L2oRng::seed_from_u64(1));
    for bad in ["abc", "0.9", "NaN"] {
        let bytes = with_raw_metadata(&net, GROWTH_LIMIT_KEY, bad);
        match LearnedNet::from_safetensors(&bytes) {
            Err(L2oError::Weights(m)) => assert!(m.contains(GROWTH_LIMIT_KEY), "{m}"),
            other => panic!("{bad}: {other:?}"),
        }
    }
}

#[test]
fn formats_mark_the_limit_and_older_files_still_load() {
    let limited = LearnedNet::initial(&mut L2oRng::seed_from_u64(1))
        .with_growth_limit(Some(1.25))
        .unwrap();
    // A file written between the limit's introduction and format /3: format /2 and the key.
    let legacy = with_raw_metadata(&limited, "format", FORMAT_NO_LIMIT);
    let (back, _) = LearnedNet::from_safetensors(&legacy).unwrap();
    assert_eq!(back, limited);
    // Format /3 without the key would silently drop the limit: an error naming the key.
    let free = LearnedNet::initial(&mut L2oRng::seed_from_u64(1));
    match LearnedNet::from_safetensors(&with_raw_metadata(&free, "format", FORMAT)) {
        Err(L2oError::Weights(m)) => assert!(m.contains(GROWTH_LIMIT_KEY), "{m}"),
        other => panic!("{other:?}"),
    }
    // An unknown format names both accepted ones.
    match LearnedNet::from_safetensors(&with_raw_metadata(&limited, "format", "downhill-l2o/9")) {
        Err(L2oError::Weights(m)) => {
            assert!(m.contains("downhill-l2o/9") && m.contains(FORMAT), "{m}")
        }
        other => panic!("{other:?}"),
    }
}

/// The weights of `net` with the metadata `key = value` written as-is (bypassing
/// `to_safetensors`, which would replace the growth-limit key with the network's own).
fn with_raw_metadata(net: &LearnedNet, key: &str, value: &str) -> Vec<u8> {
    use safetensors::{Dtype, tensor::TensorView};
    let st = net.to_safetensors(&BTreeMap::new()).unwrap();
    let (_, mut full) = LearnedNet::from_safetensors(&st).unwrap();
    full.insert(key.to_string(), value.to_string());
    let parsed = safetensors::SafeTensors::deserialize(&st).unwrap();
    let views: Vec<(String, TensorView<'_>)> = parsed
        .tensors()
        .into_iter()
        .map(|(n, v)| {
            (
                n,
                TensorView::new(Dtype::F64, v.shape().to_vec(), v.data()).unwrap(),
            )
        })
        .collect();
    safetensors::serialize(views, Some(full.into_iter().collect())).unwrap()
}

#[test]
fn meta_training_trains_and_returns_the_limited_optimizer() {
    let cfg = |growth_limit| MetaTrainConfig {
        growth_limit,
        ..common::tiny_meta_config()
    };
    let limited = meta_train(&cfg(Some(1.01)), |_| {}).unwrap();
    assert_eq!(limited.net.growth_limit, Some(1.01));
    let free = meta_train(&cfg(None), |_| {}).unwrap();
    assert_eq!(free.net.growth_limit, None);
    // The unrolls ran with the limit: a limit this tight changes the meta-loss.
    assert_ne!(limited.records[0].meta_loss, free.records[0].meta_loss);
}
