//! Saving and loading a [`LearnedNet`] as safetensors.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use downhill_tensor::ndarray::Array2;
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};

use crate::error::{L2oError, Result};
use crate::features::{EXTENDED_FEATURES, FEATURE_NAMES, NUM_FEATURES, OSCILLATION_FEATURE_NAMES};
use crate::net::{HIDDEN, LearnedNet, OUTPUTS};

/// The value of the `format` metadata key that marks a learned-optimizer file whose network
/// has an update-growth limit ([`LearnedNet::growth_limit`], stored under
/// [`GROWTH_LIMIT_KEY`]) or a reversal shrink ([`LearnedNet::reversal_shrink`], under
/// [`REVERSAL_SHRINK_KEY`]); this format requires at least one of the two keys.
///
/// A reader that predates the limit rejects this format instead of running the network
/// without its limit, which would change its updates.
pub const FORMAT: &str = "downhill-l2o/3";

/// The value of the `format` metadata key that marks a learned-optimizer file whose network
/// has a loss shrink ([`LearnedNet::loss_shrink`], stored under [`LOSS_SHRINK_KEY`]) or a
/// reversal recovery ([`LearnedNet::reversal_recovery`], under [`REVERSAL_RECOVERY_KEY`]); this
/// format requires at least one of the two, with or without the step rules of [`FORMAT`]. A
/// reader that predates these rules rejects the file instead of running the network without
/// them.
pub const FORMAT_V4: &str = "downhill-l2o/4";

/// The `format` of a file whose network has neither a growth limit nor a reversal shrink.
/// Such a network runs the same in every reader that knows the architecture, so it keeps the
/// older format string. It is also accepted with a [`GROWTH_LIMIT_KEY`], as written between
/// the limit's introduction and [`FORMAT`].
pub const FORMAT_NO_LIMIT: &str = "downhill-l2o/2";

/// The metadata key holding [`LearnedNet::growth_limit`] (absent: no limit).
pub const GROWTH_LIMIT_KEY: &str = "update_growth_limit";

/// The metadata key holding [`LearnedNet::reversal_shrink`] (absent: none).
pub const REVERSAL_SHRINK_KEY: &str = "update_reversal_shrink";

/// The metadata key holding [`LearnedNet::loss_shrink`] (absent: none; only in [`FORMAT_V4`]).
pub const LOSS_SHRINK_KEY: &str = "update_loss_shrink";

/// The metadata key holding [`LearnedNet::reversal_recovery`] (absent: none; only in
/// [`FORMAT_V4`], and only with a [`REVERSAL_SHRINK_KEY`]).
pub const REVERSAL_RECOVERY_KEY: &str = "update_reversal_recovery";

/// The keys that need [`FORMAT_V4`].
const V4_KEYS: [&str; 2] = [LOSS_SHRINK_KEY, REVERSAL_RECOVERY_KEY];

fn bad(m: impl Into<String>) -> L2oError {
    L2oError::Weights(m.into())
}

impl LearnedNet {
    fn named(&self) -> [(&'static str, Vec<usize>, Vec<f64>); 7] {
        let v = |a: &[f64]| a.to_vec();
        let flat = |a: &Array2<f64>| a.iter().copied().collect::<Vec<_>>();
        let f = self.inputs();
        [
            ("w1", vec![f, HIDDEN], flat(&self.w1)),
            ("b1", vec![HIDDEN], v(self.b1.as_slice().unwrap_or(&[]))),
            ("w2", vec![HIDDEN, HIDDEN], flat(&self.w2)),
            ("b2", vec![HIDDEN], v(self.b2.as_slice().unwrap_or(&[]))),
            ("w3", vec![HIDDEN, OUTPUTS], flat(&self.w3)),
            ("b3", vec![OUTPUTS], v(self.b3.as_slice().unwrap_or(&[]))),
            ("skip", vec![f, OUTPUTS], flat(&self.skip)),
        ]
    }

    /// The network as safetensors bytes: tensors `w1, b1, w2, b2, w3, b3, skip` in F64 (rows
    /// are inputs, as in `x·W`), plus `metadata` and the keys `format`, `architecture` and
    /// `features`, which [`LearnedNet::from_safetensors`] checks, and `update_growth_limit`
    /// when the network has one ([`LearnedNet::growth_limit`]; the network's value replaces any
    /// in `metadata`), likewise `update_reversal_shrink`, `update_reversal_recovery` and
    /// `update_loss_shrink`. `format` is [`FORMAT_V4`] for a network with a loss shrink or a
    /// reversal recovery, otherwise [`FORMAT`] for a network with a growth limit or a reversal
    /// shrink and [`FORMAT_NO_LIMIT`] for one with neither.
    ///
    /// # Errors
    /// A serialization failure.
    pub fn to_safetensors(&self, metadata: &BTreeMap<String, String>) -> Result<Vec<u8>> {
        let owned: Vec<(&str, Vec<usize>, Vec<u8>)> = self
            .named()
            .into_iter()
            .map(|(n, s, d)| (n, s, d.iter().flat_map(|v| v.to_le_bytes()).collect()))
            .collect();
        let views = owned
            .iter()
            .map(|(n, s, b)| {
                Ok((
                    n.to_string(),
                    TensorView::new(Dtype::F64, s.clone(), b).map_err(|e| bad(e.to_string()))?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut meta: HashMap<String, String> = metadata.clone().into_iter().collect();
        meta.insert("architecture".into(), architecture_for(self.inputs()));
        meta.insert("features".into(), feature_names(self.inputs()).join(","));
        let mut format = FORMAT_NO_LIMIT;
        for (key, value) in [
            (GROWTH_LIMIT_KEY, self.growth_limit),
            (REVERSAL_SHRINK_KEY, self.reversal_shrink),
        ] {
            meta.remove(key);
            if let Some(v) = value {
                meta.insert(key.into(), format!("{v}"));
                format = FORMAT;
            }
        }
        for (key, value) in V4_KEYS
            .into_iter()
            .zip([self.loss_shrink, self.reversal_recovery])
        {
            meta.remove(key);
            if let Some(v) = value {
                meta.insert(key.into(), format!("{v}"));
                format = FORMAT_V4;
            }
        }
        meta.insert("format".into(), format.into());
        safetensors::serialize(views, Some(meta)).map_err(|e| bad(e.to_string()))
    }

    /// Reads a network written by [`LearnedNet::to_safetensors`], and its metadata.
    ///
    /// # Errors
    /// [`L2oError::Weights`] for bytes that are not safetensors, a format other than
    /// [`FORMAT_V4`], [`FORMAT`] or [`FORMAT_NO_LIMIT`], a different architecture, a missing
    /// tensor of the wrong shape or dtype, an `update_growth_limit` or
    /// `update_reversal_recovery` that is not a number ≥ 1, an `update_reversal_shrink` or
    /// `update_loss_shrink` that is not a number in `(0, 1]`, a [`FORMAT`] file with neither of
    /// its keys, an `update_loss_shrink` or `update_reversal_recovery` in a file whose format
    /// is not [`FORMAT_V4`] (or a [`FORMAT_V4`] file with neither), or a reversal recovery
    /// without a reversal shrink.
    pub fn from_safetensors(bytes: &[u8]) -> Result<(Self, BTreeMap<String, String>)> {
        let (_, header) =
            SafeTensors::read_metadata(bytes).map_err(|e| bad(format!("not safetensors: {e}")))?;
        let meta: BTreeMap<String, String> = header
            .metadata()
            .clone()
            .unwrap_or_default()
            .into_iter()
            .collect();
        let format = meta.get("format").map(String::as_str);
        if format != Some(FORMAT_V4) && format != Some(FORMAT) && format != Some(FORMAT_NO_LIMIT) {
            return Err(bad(format!(
                "`format` metadata is {format:?}, expected {FORMAT_V4:?}, {FORMAT:?} or {FORMAT_NO_LIMIT:?}"
            )));
        }
        if (format == Some(FORMAT_V4)) != V4_KEYS.iter().any(|k| meta.contains_key(*k)) {
            return Err(bad(format!(
                "the `{LOSS_SHRINK_KEY}` and `{REVERSAL_RECOVERY_KEY}` metadata keys belong with format {FORMAT_V4:?}, which requires one of them; format is {format:?}"
            )));
        }
        if meta.contains_key(REVERSAL_RECOVERY_KEY) && !meta.contains_key(REVERSAL_SHRINK_KEY) {
            return Err(bad(format!(
                "`{REVERSAL_RECOVERY_KEY}` without `{REVERSAL_SHRINK_KEY}`: the recovery belongs to the shrink"
            )));
        }
        if format == Some(FORMAT)
            && !meta.contains_key(GROWTH_LIMIT_KEY)
            && !meta.contains_key(REVERSAL_SHRINK_KEY)
        {
            return Err(bad(format!(
                "format {FORMAT:?} requires the `{GROWTH_LIMIT_KEY}` or `{REVERSAL_SHRINK_KEY}` metadata key"
            )));
        }
        let Some(inputs) = [NUM_FEATURES, EXTENDED_FEATURES]
            .into_iter()
            .find(|&f| meta.get("architecture") == Some(&architecture_for(f)))
        else {
            return Err(bad(format!(
                "architecture {:?} differs from this build's {} and {}",
                meta.get("architecture"),
                architecture_for(NUM_FEATURES),
                architecture_for(EXTENDED_FEATURES)
            )));
        };
        let st = SafeTensors::deserialize(bytes).map_err(|e| bad(e.to_string()))?;
        let size = LearnedNet::size_for(inputs);
        let template = LearnedNet::from_flat(&vec![0.0; size])?;
        let mut flat = Vec::with_capacity(size);
        for (name, shape, _) in template.named() {
            let t = st
                .tensor(name)
                .map_err(|e| bad(format!("tensor {name}: {e}")))?;
            if t.dtype() != Dtype::F64 || t.shape() != shape.as_slice() {
                return Err(bad(format!(
                    "tensor {name}: {:?} {:?}, expected F64 {shape:?}",
                    t.dtype(),
                    t.shape()
                )));
            }
            flat.extend(
                t.data()
                    .chunks_exact(8)
                    .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))),
            );
        }
        let number = |key: &str| match meta.get(key) {
            None => Ok(None),
            Some(v) => v
                .parse::<f64>()
                .map(Some)
                .map_err(|e| bad(format!("`{key}` metadata {v:?} is not a number: {e}"))),
        };
        let net = LearnedNet::from_flat(&flat)?
            .with_growth_limit(number(GROWTH_LIMIT_KEY)?)
            .map_err(|e| bad(format!("`{GROWTH_LIMIT_KEY}` metadata: {e}")))?
            .with_reversal_shrink(number(REVERSAL_SHRINK_KEY)?)
            .map_err(|e| bad(format!("`{REVERSAL_SHRINK_KEY}` metadata: {e}")))?
            .with_reversal_recovery(number(REVERSAL_RECOVERY_KEY)?)
            .map_err(|e| bad(format!("`{REVERSAL_RECOVERY_KEY}` metadata: {e}")))?
            .with_loss_shrink(number(LOSS_SHRINK_KEY)?)
            .map_err(|e| bad(format!("`{LOSS_SHRINK_KEY}` metadata: {e}")))?;
        Ok((net, meta))
    }

    /// Writes [`LearnedNet::to_safetensors`] to `path` atomically (temporary file, then rename).
    ///
    /// # Errors
    /// Serialization or I/O failure.
    pub fn save(&self, path: &Path, metadata: &BTreeMap<String, String>) -> Result<()> {
        let bytes = self.to_safetensors(metadata)?;
        let io = |e| L2oError::Io {
            path: path.to_path_buf(),
            source: e,
        };
        let tmp = path.with_extension("safetensors.tmp");
        std::fs::write(&tmp, bytes).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Reads a file written by [`LearnedNet::save`].
    ///
    /// # Errors
    /// I/O failure, or as [`LearnedNet::from_safetensors`].
    pub fn load(path: &Path) -> Result<(Self, BTreeMap<String, String>)> {
        let bytes = std::fs::read(path).map_err(|e| L2oError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        Self::from_safetensors(&bytes)
    }
}

/// The architecture string stored in (and required of) weights files of a network with the
/// 21 base features (the shipped weights' architecture).
pub fn architecture() -> String {
    architecture_for(NUM_FEATURES)
}

/// The architecture string of a network reading `inputs` features (21, or 24 with the
/// oscillation features; a reader from before those rejects the 24-input string).
pub fn architecture_for(inputs: usize) -> String {
    format!(
        "mlp {inputs}-{HIDDEN}-{HIDDEN}-{OUTPUTS} relu, linear skip {inputs}-{OUTPUTS}, mix of 4 adam ratios"
    )
}

/// The names of the first `inputs` features (base features, then oscillation features).
fn feature_names(inputs: usize) -> Vec<&'static str> {
    FEATURE_NAMES
        .iter()
        .chain(OSCILLATION_FEATURE_NAMES.iter())
        .take(inputs)
        .copied()
        .collect()
}
