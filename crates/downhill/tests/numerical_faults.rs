//! Numerical faults: each is detected with a clear message or handled by a documented policy.

use downhill::data::{Dataset, load_bundled};
use downhill::norm::{Scaling, Standardizer};
use downhill::optim::Hyper;
use downhill::{
    Activation, Error, LayerSpec, Loss, NanPolicy, NetSpec, Network, Tensor, TrainConfig, Trainer,
};
use rand::SeedableRng;

fn iris() -> (Dataset<f32>, Dataset<f32>) {
    let mut rng = downhill::DefaultRng::seed_from_u64(0);
    let (mut train, mut val) = load_bundled::<f32>("iris")
        .expect("bundled")
        .split(0.2, true, &mut rng)
        .expect("split");
    let s = Standardizer::fit(Scaling::Standard, train.features()).expect("fit");
    *train.features_mut() = s.transform(train.features()).expect("transform");
    *val.features_mut() = s.transform(val.features()).expect("transform");
    (train, val)
}

fn sgd_config(clip: Option<f64>) -> TrainConfig {
    TrainConfig {
        epochs: 40,
        batch_size: 8,
        optimizer: "sgd".into(),
        hyper: Hyper {
            lr: Some(4.0),
            momentum: Some(0.9),
            ..Hyper::default()
        },
        clip_grad_norm: clip,
        loss: Loss::CrossEntropy {
            label_smoothing: 0.0,
        },
        progress: false,
        ..TrainConfig::default()
    }
}

fn net(spec: &NetSpec) -> Network<f32> {
    let mut rng = downhill::DefaultRng::seed_from_u64(0);
    Network::from_spec(spec, &mut rng).expect("net")
}

#[test]
fn training_diverges_without_clipping_and_converges_with_it() {
    let (train, val) = iris();
    let spec = NetSpec::mlp(4, &[32], 3, Activation::Relu, None);
    let err = Trainer::new(sgd_config(None))
        .expect("config")
        .fit(&mut net(&spec), &train, Some(&val), &mut [])
        .unwrap_err();
    assert!(
        matches!(err, Error::NonFinite { what: "loss", .. }),
        "expected a non-finite loss, got {err}"
    );
    assert!(err.to_string().contains("step"), "{err}");
    let mut clipped = Trainer::new(sgd_config(Some(0.1))).expect("config");
    let h = clipped
        .fit(&mut net(&spec), &train, Some(&val), &mut [])
        .expect("clipped training converges");
    let last = h.last().expect("epochs");
    assert!(
        last.val_accuracy.expect("val") >= 0.9,
        "clipped run reached only {:?}",
        last.val_accuracy
    );
    assert!(last.grad_norm.is_finite());
}

#[test]
fn nan_inputs_stop_training_or_are_skipped_by_policy() {
    let (mut train, val) = iris();
    train.features_mut().as_mut_slice()[5] = f32::NAN;
    let spec = NetSpec::mlp(4, &[8], 3, Activation::Tanh, None);
    let cfg = TrainConfig {
        epochs: 2,
        progress: false,
        ..TrainConfig::default()
    };
    let err = Trainer::new(cfg.clone())
        .expect("config")
        .fit(&mut net(&spec), &train, Some(&val), &mut [])
        .unwrap_err();
    assert!(
        err.to_string().contains("non-finite loss at epoch 1"),
        "{err}"
    );
    let mut skip = Trainer::new(TrainConfig {
        nan_policy: NanPolicy::SkipStep,
        ..cfg
    })
    .expect("config");
    let mut n = net(&spec);
    let h = skip
        .fit(&mut n, &train, Some(&val), &mut [])
        .expect("skipping policy trains on");
    assert_eq!(
        h.epochs.iter().map(|r| r.skipped_steps).sum::<usize>(),
        2,
        "one poisoned batch per epoch"
    );
    assert!(
        n.params().iter().all(|p| p.value.all_finite()),
        "a skipped step must not touch the weights"
    );
}

#[test]
fn zero_variance_batch_norm_channel_stays_finite() {
    let (mut train, val) = iris();
    // Feature 0 constant: batch norm's channel 0 sees zero batch variance; ε keeps the
    // normalization finite.
    let rows = train.len();
    (0..rows).for_each(|r| train.features_mut().as_mut_slice()[r * 4] = 1.0);
    let spec = NetSpec {
        input: 4,
        layers: vec![
            LayerSpec::BatchNorm {
                eps: 1e-5,
                momentum: Some(0.1),
            },
            LayerSpec::Linear {
                out: 3,
                init: None,
                bias: true,
            },
        ],
    };
    let mut t = Trainer::new(TrainConfig {
        epochs: 3,
        progress: false,
        ..TrainConfig::default()
    })
    .expect("config");
    let mut n = net(&spec);
    let h = t.fit(&mut n, &train, Some(&val), &mut []).expect("trains");
    assert!(
        h.epochs
            .iter()
            .all(|r| r.train_loss.is_finite() && r.val_loss.is_some_and(f64::is_finite))
    );
    assert!(n.buffers().iter().all(|(_, b)| b.all_finite()));
}

#[test]
fn extreme_logits_give_finite_losses_not_log_zero() {
    let mut tape = downhill::autograd::Tape::<f32>::new();
    let z = tape.input(
        Tensor::from_vec(&[2, 3], vec![1000.0, -1000.0, 0.0, -1000.0, 1000.0, 1000.0])
            .expect("shape"),
    );
    for loss in [
        Loss::CrossEntropy {
            label_smoothing: 0.1,
        },
        Loss::BceWithLogits,
        Loss::MultiHinge,
        Loss::Mse,
    ] {
        let l = loss.compute(&mut tape, z, &[1, 0]).expect("loss");
        let v = tape.value(l).expect("value").item().expect("scalar");
        assert!(v.is_finite(), "{loss:?} gave {v}");
        tape.backward(l).expect("backward");
        assert!(
            tape.grad(z).expect("grad").expect("reached").all_finite(),
            "{loss:?}"
        );
    }
}
