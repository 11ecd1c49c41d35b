//! Checkpoints: one safetensors file that PyTorch loads and from which training resumes exactly.
//!
//! The tensors are the network's parameters and buffers under PyTorch's `state_dict` names and
//! layouts (`"0.weight"` is `[out, in]`), so the file loads with
//! `model.load_state_dict(safetensors.torch.load_file(path), strict=True)` into the equivalent
//! `nn.Sequential`. The safetensors metadata holds, as JSON, the network's [`NetSpec`] and —
//! for a training checkpoint — the trainer's state: configuration, history, step count, random
//! generator state, and the optimizer's and schedule's state (optimizer tensors inline as
//! base64 little-endian bytes, so the file stays PyTorch-loadable). Writes are atomic.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use downhill_optim::StateDict;
use downhill_tensor::{Element, Tensor};
use safetensors::{Dtype, SafeTensors, tensor::TensorView};

use crate::history::write_atomic;
use crate::trainer::TrainerState;
use crate::{DefaultRng, Error, NetSpec, Network, Result, Trainer};

const SPEC_KEY: &str = "downhill.spec";
const TRAINER_KEY: &str = "downhill.trainer";
const INPUT_KEY: &str = "downhill.input_transform";
pub(crate) const RUN_KEY: &str = "downhill.run";

/// What a checkpoint holds.
pub struct Checkpoint<E: Element> {
    /// The network, with its weights and buffers.
    pub net: Network<E>,
    /// The trainer, for a training checkpoint.
    pub trainer: Option<Trainer<E>>,
    /// The input normalization the network was trained with, if any.
    pub standardizer: Option<downhill_norm::Standardizer>,
    /// The run configuration (JSON of [`crate::run::RunConfig`]) for checkpoints written by
    /// `downhill train`.
    pub run_config: Option<serde_json::Value>,
}

impl<E: Element> std::fmt::Debug for Checkpoint<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkpoint")
            .field("net", &self.net)
            .field("trainer", &self.trainer)
            .finish()
    }
}

fn dtype<E: Element>() -> Dtype {
    if E::DTYPE == "F64" {
        Dtype::F64
    } else {
        Dtype::F32
    }
}

fn to_bytes<E: Element>(t: &Tensor<E>, as_int: bool) -> Vec<u8> {
    if as_int {
        return t
            .as_slice()
            .iter()
            .flat_map(|v| (v.as_f64() as i64).to_le_bytes())
            .collect();
    }
    t.as_slice()
        .iter()
        .flat_map(|&v| {
            if E::DTYPE == "F64" {
                v.as_f64().to_le_bytes().to_vec()
            } else {
                (v.as_f64() as f32).to_le_bytes().to_vec()
            }
        })
        .collect()
}

fn from_bytes<E: Element>(dtype: Dtype, shape: &[usize], data: &[u8]) -> Option<Tensor<E>> {
    let width = match dtype {
        Dtype::F32 => 4,
        Dtype::F64 | Dtype::I64 => 8,
        _ => return None,
    };
    let vals: Vec<E> = data
        .chunks_exact(width)
        .map(|c| match dtype {
            Dtype::F32 => E::of(f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64),
            Dtype::F64 => E::of(f64::from_le_bytes([
                c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
            ])),
            _ => E::of(i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f64),
        })
        .collect();
    Tensor::from_vec(shape, vals).ok()
}

/// Buffers PyTorch stores as integers.
fn is_int_buffer(name: &str) -> bool {
    name.ends_with("num_batches_tracked")
}

/// Saves the network (and, if given, the trainer's full state) to `path`, atomically.
///
/// # Errors
/// [`Error::Io`] when the file cannot be written; [`Error::Checkpoint`] when the network was not
/// built from a [`NetSpec`] and so cannot be rebuilt on load (its weights can still be saved
/// with [`save_weights`]).
pub fn save_checkpoint<E: Element>(
    path: &Path,
    net: &Network<E>,
    trainer: Option<&Trainer<E>>,
) -> Result<()> {
    save_checkpoint_with(path, net, trainer, None)
}

/// [`save_checkpoint`], also recording the input normalization so that `predict` applies the
/// same transform.
///
/// # Errors
/// As [`save_checkpoint`].
pub fn save_checkpoint_with<E: Element>(
    path: &Path,
    net: &Network<E>,
    trainer: Option<&Trainer<E>>,
    standardizer: Option<&downhill_norm::Standardizer>,
) -> Result<()> {
    save_checkpoint_meta(path, net, trainer, standardizer, HashMap::new())
}

/// [`save_checkpoint_with`] plus extra metadata entries (the run pipeline records its
/// configuration under `"downhill.run"`).
pub(crate) fn save_checkpoint_meta<E: Element>(
    path: &Path,
    net: &Network<E>,
    trainer: Option<&Trainer<E>>,
    standardizer: Option<&downhill_norm::Standardizer>,
    mut meta: HashMap<String, String>,
) -> Result<()> {
    let spec = net.spec().ok_or_else(|| Error::Checkpoint {
        path: path.to_path_buf(),
        message: "the network was not built from a NetSpec; use save_weights".into(),
    })?;
    meta.insert(
        SPEC_KEY.to_string(),
        serde_json::to_string(spec).expect("spec serializes"),
    );
    if let Some(s) = standardizer {
        meta.insert(
            INPUT_KEY.to_string(),
            serde_json::to_string(s).expect("standardizer serializes"),
        );
    }
    if let Some(t) = trainer {
        let state = encode_trainer_state(&t.export_state());
        meta.insert(
            TRAINER_KEY.to_string(),
            serde_json::to_string(&state).expect("state serializes"),
        );
    }
    write_tensors(path, net, meta)
}

/// Saves only the network's parameters and buffers (PyTorch-loadable), atomically.
///
/// # Errors
/// [`Error::Io`] when the file cannot be written.
pub fn save_weights<E: Element>(path: &Path, net: &Network<E>) -> Result<()> {
    write_tensors(path, net, HashMap::new())
}

fn write_tensors<E: Element>(
    path: &Path,
    net: &Network<E>,
    mut meta: HashMap<String, String>,
) -> Result<()> {
    meta.insert("format".into(), "pt".into());
    let mut owned: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = Vec::new();
    for p in net.params().iter() {
        owned.push((
            p.name.clone(),
            dtype::<E>(),
            p.value.shape().to_vec(),
            to_bytes(&p.value, false),
        ));
    }
    for (name, t) in net.buffers() {
        let int = is_int_buffer(&name);
        owned.push((
            name,
            if int { Dtype::I64 } else { dtype::<E>() },
            t.shape().to_vec(),
            to_bytes(t, int),
        ));
    }
    let views: Vec<(String, TensorView<'_>)> = owned
        .iter()
        .map(|(n, d, s, b)| {
            Ok((
                n.clone(),
                TensorView::new(*d, s.clone(), b).map_err(|e| Error::Data(e.to_string()))?,
            ))
        })
        .collect::<Result<_>>()?;
    let bytes = safetensors::serialize(views, Some(meta)).map_err(|e| Error::Checkpoint {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    write_atomic(path, &bytes)
}

/// Loads a checkpoint: rebuilds the network from its spec and restores every parameter and
/// buffer; also rebuilds the trainer when the checkpoint holds one.
///
/// # Errors
/// [`Error::Io`] for an unreadable file; [`Error::Checkpoint`] naming what is wrong: not a
/// safetensors file (or truncated), no spec, a missing or unexpected tensor, a wrong shape or
/// dtype, a malformed trainer state. Never panics on malformed input.
pub fn load_checkpoint<E: Element>(path: &Path) -> Result<Checkpoint<E>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    load_checkpoint_bytes(&bytes, path)
}

/// [`load_checkpoint`] from bytes already in memory (`path` is used in messages).
///
/// # Errors
/// As [`load_checkpoint`].
pub fn load_checkpoint_bytes<E: Element>(bytes: &[u8], path: &Path) -> Result<Checkpoint<E>> {
    let bad = |message: String| Error::Checkpoint {
        path: path.to_path_buf(),
        message,
    };
    let (_, header) = SafeTensors::read_metadata(bytes)
        .map_err(|e| bad(format!("not a valid safetensors file: {e}")))?;
    let meta = header.metadata().clone().unwrap_or_default();
    let spec_json = meta
        .get(SPEC_KEY)
        .ok_or_else(|| bad("no network spec in the metadata (saved with save_weights?)".into()))?;
    let spec: NetSpec =
        serde_json::from_str(spec_json).map_err(|e| bad(format!("bad network spec: {e}")))?;
    // Refuse, before allocating, a spec that needs more scalars than the file holds bytes.
    let scalars = spec
        .num_scalars()
        .ok_or_else(|| bad("the network spec's size overflows".into()))?;
    if scalars.checked_mul(4).is_none_or(|b| b > bytes.len()) {
        return Err(bad(format!(
            "the network spec needs {scalars} scalars but the file holds only {} bytes",
            bytes.len()
        )));
    }
    let mut rng = <DefaultRng as rand::SeedableRng>::seed_from_u64(0);
    let mut net = Network::from_spec(&spec, &mut rng)
        .map_err(|e| bad(format!("cannot rebuild the network: {e}")))?;
    load_weights_bytes(&mut net, bytes, path)?;
    let trainer = match meta.get(TRAINER_KEY) {
        None => None,
        Some(s) => {
            let enc: EncodedTrainerState =
                serde_json::from_str(s).map_err(|e| bad(format!("bad trainer state: {e}")))?;
            let state = decode_trainer_state(enc).map_err(bad)?;
            Some(
                Trainer::import_state(state)
                    .map_err(|e| bad(format!("cannot restore the trainer: {e}")))?,
            )
        }
    };
    let standardizer = meta
        .get(INPUT_KEY)
        .map(|s| serde_json::from_str(s).map_err(|e| bad(format!("bad input transform: {e}"))))
        .transpose()?;
    let run_config = meta
        .get(RUN_KEY)
        .map(|s| serde_json::from_str(s).map_err(|e| bad(format!("bad run configuration: {e}"))))
        .transpose()?;
    Ok(Checkpoint {
        net,
        trainer,
        standardizer,
        run_config,
    })
}

/// Loads parameters and buffers from a safetensors file into an existing network, strictly:
/// every tensor must be present with the right shape, and no other tensor may be in the file.
///
/// # Errors
/// As [`load_checkpoint`]; the network is unchanged on error.
pub fn load_weights<E: Element>(net: &mut Network<E>, path: &Path) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    load_weights_bytes(net, &bytes, path)
}

fn load_weights_bytes<E: Element>(net: &mut Network<E>, bytes: &[u8], path: &Path) -> Result<()> {
    let bad = |message: String| Error::Checkpoint {
        path: path.to_path_buf(),
        message,
    };
    let st = SafeTensors::deserialize(bytes)
        .map_err(|e| bad(format!("not a valid safetensors file: {e}")))?;
    let mut expected: BTreeMap<String, Vec<usize>> = net
        .params()
        .iter()
        .map(|p| (p.name.clone(), p.value.shape().to_vec()))
        .collect();
    expected.extend(
        net.buffers()
            .into_iter()
            .map(|(n, t)| (n, t.shape().to_vec())),
    );
    if let Some(extra) = st.names().into_iter().find(|n| !expected.contains_key(*n)) {
        return Err(bad(format!(
            "unexpected tensor {extra:?} (the network has {})",
            expected.keys().cloned().collect::<Vec<_>>().join(", ")
        )));
    }
    let mut loaded = BTreeMap::new();
    for (name, shape) in &expected {
        let view = st
            .tensor(name)
            .map_err(|_| bad(format!("missing tensor {name:?}")))?;
        if view.shape() != shape.as_slice() {
            return Err(bad(format!(
                "tensor {name:?} has shape {:?}, the network needs {shape:?}",
                view.shape()
            )));
        }
        let t = from_bytes::<E>(view.dtype(), view.shape(), view.data()).ok_or_else(|| {
            bad(format!(
                "tensor {name:?} has unsupported dtype {:?}",
                view.dtype()
            ))
        })?;
        loaded.insert(name.clone(), t);
    }
    // Everything validated: now apply (so a failed load leaves the network untouched).
    for p in net.params_mut().iter_mut() {
        p.value = loaded.remove(&p.name).expect("validated");
    }
    for layer in net.layers_mut().iter_mut() {
        let names: Vec<String> = layer.buffers().into_iter().map(|(n, _)| n).collect();
        for n in names {
            let t = loaded.remove(&n).expect("validated");
            layer.set_buffer(&n, t)?;
        }
    }
    Ok(())
}

#[derive(serde::Serialize, serde::Deserialize)]
struct EncodedTensor {
    shape: Vec<usize>,
    dtype: String,
    data: String,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct EncodedTrainerState {
    config: crate::TrainConfig,
    history: crate::History,
    step: u64,
    rng: DefaultRng,
    optimizer_scalars: BTreeMap<String, f64>,
    optimizer_tensors: BTreeMap<String, EncodedTensor>,
    scheduler: Option<serde_json::Value>,
    #[serde(default)]
    early_stopping: Option<downhill_reg::EarlyStopping>,
}

fn encode_trainer_state<E: Element>(s: &TrainerState<E>) -> EncodedTrainerState {
    let optimizer_tensors = s
        .optimizer
        .tensors
        .iter()
        .map(|(k, t)| {
            (
                k.clone(),
                EncodedTensor {
                    shape: t.shape().to_vec(),
                    dtype: E::DTYPE.into(),
                    data: B64.encode(to_bytes(t, false)),
                },
            )
        })
        .collect();
    EncodedTrainerState {
        config: s.config.clone(),
        history: s.history.clone(),
        step: s.step,
        rng: s.rng.clone(),
        optimizer_scalars: s.optimizer.scalars.clone(),
        optimizer_tensors,
        scheduler: s.scheduler.clone(),
        early_stopping: s.early_stopping.clone(),
    }
}

fn decode_trainer_state<E: Element>(
    e: EncodedTrainerState,
) -> std::result::Result<TrainerState<E>, String> {
    let mut tensors = BTreeMap::new();
    for (k, t) in e.optimizer_tensors {
        let dt = match t.dtype.as_str() {
            "F32" => Dtype::F32,
            "F64" => Dtype::F64,
            other => {
                return Err(format!(
                    "optimizer tensor {k:?} has unsupported dtype {other:?}"
                ));
            }
        };
        let bytes = B64
            .decode(&t.data)
            .map_err(|err| format!("optimizer tensor {k:?}: {err}"))?;
        let elems = t.shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        if elems.and_then(|n| n.checked_mul(dt.bitsize() / 8)) != Some(bytes.len()) {
            return Err(format!(
                "optimizer tensor {k:?}: {} bytes for shape {:?}",
                bytes.len(),
                t.shape
            ));
        }
        let tensor = from_bytes::<E>(dt, &t.shape, &bytes)
            .ok_or_else(|| format!("optimizer tensor {k:?} is malformed"))?;
        tensors.insert(k, tensor);
    }
    Ok(TrainerState {
        config: e.config,
        history: e.history,
        step: e.step,
        rng: e.rng,
        optimizer: StateDict {
            scalars: e.optimizer_scalars,
            tensors,
        },
        scheduler: e.scheduler,
        early_stopping: e.early_stopping,
    })
}
