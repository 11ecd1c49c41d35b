//! Checkpoints: round trips, exact resumption, atomic writes, and load errors that name what is
//! wrong and never panic.

use std::collections::HashMap;
use std::path::Path;

use downhill::checkpoint::{
    load_checkpoint, load_checkpoint_bytes, load_weights, save_checkpoint, save_weights,
};
use downhill::data::{Dataset, blobs};
use downhill::layers::Linear;
use downhill::optim::{Hyper, ScheduleConfig};
use downhill::{
    Activation, DefaultRng, EpochRecord, Error, LayerSpec, NetSpec, Network, Tensor, TrainConfig,
    Trainer,
};
use proptest::prelude::*;
use rand::SeedableRng;
use safetensors::{Dtype, SafeTensors, tensor::TensorView};

fn rng(seed: u64) -> DefaultRng {
    DefaultRng::seed_from_u64(seed)
}

fn data(seed: u64) -> Dataset<f32> {
    blobs(
        40,
        &[[0.0, 0.0], [2.0, 2.0], [-2.0, 2.0]],
        0.8,
        &mut rng(seed),
    )
    .unwrap()
}

/// Linear, BatchNorm1d, activation, Dropout, noise: every kind of state a checkpoint carries.
fn spec() -> NetSpec {
    NetSpec {
        input: 2,
        layers: vec![
            LayerSpec::GaussianNoise { std: 0.1 },
            LayerSpec::Linear {
                out: 12,
                init: None,
                bias: true,
            },
            LayerSpec::BatchNorm {
                eps: 1e-5,
                momentum: Some(0.1),
            },
            LayerSpec::Activation {
                kind: Activation::Relu,
            },
            LayerSpec::Dropout { p: 0.2 },
            LayerSpec::Linear {
                out: 3,
                init: None,
                bias: true,
            },
        ],
    }
}

fn config(epochs: usize) -> TrainConfig {
    let schedule: ScheduleConfig =
        serde_json::from_str(r#"{"name": "steplr", "step_size": 2, "gamma": 0.5}"#).unwrap();
    TrainConfig {
        epochs,
        batch_size: 16,
        hyper: Hyper {
            lr: Some(0.01),
            ..Hyper::default()
        },
        schedule: Some(schedule),
        clip_grad_norm: Some(5.0),
        progress: false,
        ..TrainConfig::default()
    }
}

fn trained(epochs: usize) -> (Network<f32>, Trainer<f32>) {
    let mut net = Network::from_spec(&spec(), &mut rng(0)).unwrap();
    let mut t = Trainer::new(config(epochs)).unwrap();
    t.fit(&mut net, &data(1), Some(&data(2)), &mut []).unwrap();
    (net, t)
}

fn state(net: &Network<f32>) -> Vec<(String, Vec<f32>)> {
    net.params()
        .iter()
        .map(|p| (p.name.clone(), p.value.as_slice().to_vec()))
        .chain(
            net.buffers()
                .into_iter()
                .map(|(n, t)| (n, t.as_slice().to_vec())),
        )
        .collect()
}

fn timeless(records: &[EpochRecord]) -> Vec<EpochRecord> {
    records
        .iter()
        .map(|r| EpochRecord {
            wall_time_s: 0.0,
            ..r.clone()
        })
        .collect()
}

#[test]
fn round_trip_restores_weights_buffers_and_outputs() {
    let (mut net, trainer) = trained(2);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ck.safetensors");
    save_checkpoint(&path, &net, Some(&trainer)).unwrap();
    let mut ck = load_checkpoint::<f32>(&path).unwrap();
    assert_eq!(state(&ck.net), state(&net));
    assert_eq!(ck.net.spec(), Some(&spec()));
    let x = data(3).features().clone();
    assert_eq!(
        ck.net.predict(&x, &mut rng(0)).unwrap(),
        net.predict(&x, &mut rng(0)).unwrap()
    );
    let t = ck.trainer.expect("training checkpoint");
    assert_eq!(t.epoch(), 2);
    assert_eq!(t.steps(), trainer.steps());
    assert_eq!(t.history(), trainer.history());
    assert!(ck.standardizer.is_none());
    // The file is plain safetensors with PyTorch's names, dtypes and layouts.
    let bytes = std::fs::read(&path).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut names: Vec<String> = st.names().into_iter().map(str::to_string).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "1.bias",
            "1.weight",
            "2.bias",
            "2.num_batches_tracked",
            "2.running_mean",
            "2.running_var",
            "2.weight",
            "5.bias",
            "5.weight"
        ]
    );
    assert_eq!(st.tensor("1.weight").unwrap().shape(), &[12, 2]);
    assert_eq!(st.tensor("1.weight").unwrap().dtype(), Dtype::F32);
    assert_eq!(
        st.tensor("2.num_batches_tracked").unwrap().dtype(),
        Dtype::I64
    );
    let (_, meta) = SafeTensors::read_metadata(&bytes).unwrap();
    let meta = meta.metadata().clone().unwrap();
    assert_eq!(meta["format"], "pt");
    let spec_back: NetSpec = serde_json::from_str(&meta["downhill.spec"]).unwrap();
    assert_eq!(spec_back, spec());
}

#[test]
fn resumed_training_is_bit_identical_to_an_uninterrupted_run() {
    let (n, m) = (3, 2);
    let (full_net, full) = trained(n + m);

    let (half_net, half) = trained(n);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("half.safetensors");
    save_checkpoint(&path, &half_net, Some(&half)).unwrap();
    drop((half_net, half));
    let ck = load_checkpoint::<f32>(&path).unwrap();
    let (mut net, mut t) = (ck.net, ck.trainer.unwrap());
    t.set_epochs(n + m).unwrap();
    t.fit(&mut net, &data(1), Some(&data(2)), &mut []).unwrap();

    assert_eq!(state(&net), state(&full_net), "weights and buffers");
    assert_eq!(
        timeless(&t.history().epochs),
        timeless(&full.history().epochs),
        "history apart from wall time"
    );
    assert_eq!(t.steps(), full.steps());
    assert_eq!(t.optimizer().lr(0), full.optimizer().lr(0));
}

#[test]
fn f64_networks_save_f64() {
    let net = Network::<f64>::from_spec(&spec(), &mut rng(0)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f64.safetensors");
    save_checkpoint(&path, &net, None).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    assert_eq!(st.tensor("1.weight").unwrap().dtype(), Dtype::F64);
    let ck = load_checkpoint::<f64>(&path).unwrap();
    assert!(ck.trainer.is_none());
    let a: Vec<Vec<f64>> = net
        .params()
        .iter()
        .map(|p| p.value.as_slice().to_vec())
        .collect();
    let b: Vec<Vec<f64>> = ck
        .net
        .params()
        .iter()
        .map(|p| p.value.as_slice().to_vec())
        .collect();
    assert_eq!(a, b);
}

#[test]
fn writes_are_atomic_and_leave_no_temporary_files() {
    let (net, trainer) = trained(1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ck.safetensors");
    std::fs::write(&path, b"old contents").unwrap();
    save_checkpoint(&path, &net, Some(&trainer)).unwrap();
    save_checkpoint(&path, &net, Some(&trainer)).unwrap();
    let entries: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(entries, ["ck.safetensors"]);
    load_checkpoint::<f32>(&path).unwrap();
    // An unwritable destination is an I/O error naming it, and creates nothing.
    let missing = dir.path().join("no/such/dir/ck.safetensors");
    let e = save_checkpoint(&missing, &net, None).unwrap_err();
    assert!(
        matches!(e, Error::Io { .. }) && e.to_string().contains("no/such/dir"),
        "{e}"
    );
    assert!(!dir.path().join("no").exists());
}

#[test]
fn custom_networks_save_weights_only() {
    let mut net = Network::<f32>::new(3);
    net.push(|s, p| Ok(Box::new(Linear::new(s, p, 3, 2, None, true, &mut rng(0))?)))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.safetensors");
    let e = save_checkpoint(&path, &net, None).unwrap_err().to_string();
    assert!(e.contains("save_weights"), "{e}");
    assert!(!path.exists());
    save_weights(&path, &net).unwrap();
    let mut other = Network::<f32>::new(3);
    other
        .push(|s, p| Ok(Box::new(Linear::new(s, p, 3, 2, None, true, &mut rng(9))?)))
        .unwrap();
    load_weights(&mut other, &path).unwrap();
    assert_eq!(state(&other), state(&net));
    let e = load_checkpoint::<f32>(&path).unwrap_err().to_string();
    assert!(e.contains("no network spec"), "{e}");
}

/// Rewrites a checkpoint's tensors through `edit` (keeping the metadata).
fn rewrite(
    bytes: &[u8],
    edit: impl FnOnce(&mut Vec<(String, Dtype, Vec<usize>, Vec<u8>)>),
) -> Vec<u8> {
    let st = SafeTensors::deserialize(bytes).unwrap();
    let (_, meta) = SafeTensors::read_metadata(bytes).unwrap();
    let meta: HashMap<String, String> = meta.metadata().clone().unwrap();
    let mut tensors: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = st
        .tensors()
        .into_iter()
        .map(|(n, v)| (n, v.dtype(), v.shape().to_vec(), v.data().to_vec()))
        .collect();
    edit(&mut tensors);
    let views: Vec<(String, TensorView<'_>)> = tensors
        .iter()
        .map(|(n, d, s, b)| (n.clone(), TensorView::new(*d, s.clone(), b).unwrap()))
        .collect();
    safetensors::serialize(views, Some(meta)).unwrap()
}

fn checkpoint_bytes() -> Vec<u8> {
    let (net, trainer) = trained(1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ck.safetensors");
    save_checkpoint(&path, &net, Some(&trainer)).unwrap();
    std::fs::read(path).unwrap()
}

fn load_err(bytes: &[u8]) -> String {
    let e = load_checkpoint_bytes::<f32>(bytes, Path::new("bad.safetensors")).unwrap_err();
    assert!(matches!(e, Error::Checkpoint { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("bad.safetensors"), "{msg}");
    msg
}

#[test]
fn load_errors_name_what_is_wrong() {
    let good = checkpoint_bytes();
    let missing = rewrite(&good, |t| t.retain(|(n, ..)| n != "2.running_var"));
    let msg = load_err(&missing);
    assert!(
        msg.contains("missing tensor") && msg.contains("2.running_var"),
        "{msg}"
    );

    let shape = rewrite(&good, |t| {
        let w = t.iter_mut().find(|(n, ..)| n == "5.weight").unwrap();
        w.2 = vec![12, 3];
    });
    let msg = load_err(&shape);
    assert!(
        msg.contains("5.weight") && msg.contains("[12, 3]") && msg.contains("[3, 12]"),
        "{msg}"
    );

    let dtype = rewrite(&good, |t| {
        let b = t.iter_mut().find(|(n, ..)| n == "1.bias").unwrap();
        b.1 = Dtype::F16;
        b.3.truncate(b.3.len() / 2);
    });
    let msg = load_err(&dtype);
    assert!(
        msg.contains("1.bias") && msg.contains("dtype") && msg.contains("F16"),
        "{msg}"
    );

    let extra = rewrite(&good, |t| {
        t.push(("9.weight".into(), Dtype::F32, vec![1], vec![0; 4]));
    });
    let msg = load_err(&extra);
    assert!(
        msg.contains("unexpected tensor") && msg.contains("9.weight"),
        "{msg}"
    );

    let msg = load_err(&good[..good.len() - 7]);
    assert!(msg.contains("not a valid safetensors file"), "{msg}");
    let msg = load_err(b"definitely not a checkpoint");
    assert!(msg.contains("not a valid safetensors file"), "{msg}");
    let msg = load_err(&[]);
    assert!(msg.contains("not a valid safetensors file"), "{msg}");

    let e = load_checkpoint::<f32>(Path::new("/nonexistent/ck.safetensors")).unwrap_err();
    assert!(matches!(e, Error::Io { .. }) && e.to_string().contains("/nonexistent"));
}

#[test]
fn a_failed_weight_load_leaves_the_network_unchanged() {
    let good = checkpoint_bytes();
    let bad = rewrite(&good, |t| t.retain(|(n, ..)| n != "5.bias"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.safetensors");
    std::fs::write(&path, bad).unwrap();
    let mut net = Network::<f32>::from_spec(&spec(), &mut rng(42)).unwrap();
    let before = state(&net);
    let e = load_weights(&mut net, &path).unwrap_err().to_string();
    assert!(e.contains("5.bias"), "{e}");
    assert_eq!(state(&net), before);
    // The good file into a differently shaped network: a shape error, nothing changed.
    std::fs::write(&path, &good).unwrap();
    let other = NetSpec::mlp(2, &[12], 4, Activation::Relu, None);
    let mut net = Network::<f32>::from_spec(&other, &mut rng(0)).unwrap();
    let before: Vec<Tensor<f32>> = net.params().iter().map(|p| p.value.clone()).collect();
    assert!(load_weights(&mut net, &path).is_err());
    let after: Vec<Tensor<f32>> = net.params().iter().map(|p| p.value.clone()).collect();
    assert_eq!(before, after);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any truncation is an error (never a panic); any single bit flip loads or errs cleanly.
    #[test]
    fn truncations_and_bit_flips_never_panic(cut in 0.0f64..1.0, flip in 0.0f64..1.0, bit in 0u8..8) {
        thread_local!(static GOOD: Vec<u8> = checkpoint_bytes());
        GOOD.with(|good| {
            let len = ((good.len() as f64) * cut) as usize;
            let truncated = &good[..len.min(good.len() - 1)];
            prop_assert!(load_checkpoint_bytes::<f32>(truncated, Path::new("t")).is_err());
            let mut flipped = good.clone();
            let at = ((good.len() as f64) * flip) as usize % good.len();
            flipped[at] ^= 1 << bit;
            let result = std::panic::catch_unwind(|| {
                load_checkpoint_bytes::<f32>(&flipped, Path::new("f")).map(|_| ())
            });
            prop_assert!(result.is_ok(), "panicked after flipping bit {bit} of byte {at}");
            Ok(())
        })?;
    }
}
