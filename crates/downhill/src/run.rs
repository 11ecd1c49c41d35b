//! A whole training run from one configuration: load and split the data, fit the input
//! normalization on the training part, build the network, train, and write the results.
//! This is what `downhill train` does; configs are TOML or JSON files of [`RunConfig`].

use std::path::{Path, PathBuf};
use std::time::Instant;

use downhill_init::Init;
use downhill_norm::{Scaling, Standardizer};
use rand::SeedableRng;

use crate::checkpoint::{RUN_KEY, load_checkpoint, save_checkpoint_meta};
use crate::data::{CsvOptions, Dataset, LabelColumn, load_bundled, load_csv, load_idx};
use crate::history::write_atomic;
use crate::layers::Activation;
use crate::{DefaultRng, Error, LayerSpec, NetSpec, Network, Result, TrainConfig, Trainer, plot};

/// How input features are normalized (fitted on the training split only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Normalize {
    /// Zero mean, unit standard deviation per feature (the default).
    #[default]
    Standard,
    /// Each feature to `[0, 1]` by its training minimum and maximum.
    MinMax,
    /// PCA whitening.
    PcaWhitening,
    /// Raw features.
    None,
}

/// Where the data comes from and how it is split and normalized.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataConfig {
    /// A bundled set (`digits`, `breast-cancer`, `wine`, `iris`), a CSV path, or an IDX image
    /// file path (with `labels`). Default `digits`.
    pub source: String,
    /// The IDX label file, for IDX images.
    pub labels: Option<PathBuf>,
    /// Which CSV column holds the label (default: the last).
    pub label_column: LabelColumn,
    /// Fraction held out for validation (default 0.2).
    pub val_fraction: f64,
    /// Split each class in the same proportion (default true).
    pub stratified: bool,
    /// Input normalization (default standard).
    pub normalize: Normalize,
}

impl Default for DataConfig {
    fn default() -> Self {
        Self {
            source: "digits".into(),
            labels: None,
            label_column: LabelColumn::Last,
            val_fraction: 0.2,
            stratified: true,
            normalize: Normalize::Standard,
        }
    }
}

/// The network: an MLP with optional batch norm, layer norm, dropout and noise per hidden layer.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelConfig {
    /// Hidden layer widths (default `[256, 128]`).
    pub hidden: Vec<usize>,
    /// The hidden nonlinearity (default ReLU).
    pub activation: Activation,
    /// Weight initialization for every Linear (default: PyTorch's `nn.Linear` default).
    pub init: Option<Init>,
    /// Batch norm after each hidden Linear, before the activation (default false).
    pub batch_norm: bool,
    /// Layer norm after each hidden Linear, before the activation (default false).
    pub layer_norm: bool,
    /// Dropout probability after each hidden activation (default 0: none).
    pub dropout: f64,
    /// Gaussian noise std on the (normalized) inputs during training (default 0.3: the
    /// lecture's "add random noise during training"; 0 turns it off).
    pub input_noise: f64,
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self {
            hidden: vec![256, 128],
            activation: Activation::Relu,
            init: None,
            batch_norm: false,
            layer_norm: false,
            dropout: 0.0,
            input_noise: 0.3,
        }
    }
}

impl ModelConfig {
    /// The network spec for `inputs` features and `classes` outputs.
    ///
    /// # Errors
    /// [`Error::Config`] for a hidden width of 0 or a dropout outside `[0, 1)`.
    pub fn spec(&self, inputs: usize, classes: usize) -> Result<NetSpec> {
        if let Some(i) = self.hidden.iter().position(|&h| h == 0) {
            return Err(Error::config("hidden", format!("layer {i} has size 0")));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(Error::config(
                "dropout",
                format!("must lie in [0, 1), got {}", self.dropout),
            ));
        }
        let mut layers = Vec::new();
        if self.input_noise > 0.0 {
            layers.push(LayerSpec::GaussianNoise {
                std: self.input_noise,
            });
        }
        for &h in &self.hidden {
            layers.push(LayerSpec::Linear {
                out: h,
                init: self.init,
                bias: true,
            });
            if self.batch_norm {
                layers.push(LayerSpec::BatchNorm {
                    eps: 1e-5,
                    momentum: Some(0.1),
                });
            }
            if self.layer_norm {
                layers.push(LayerSpec::LayerNorm { eps: 1e-5 });
            }
            layers.push(LayerSpec::Activation {
                kind: self.activation,
            });
            if self.dropout > 0.0 {
                layers.push(LayerSpec::Dropout { p: self.dropout });
            }
        }
        layers.push(LayerSpec::Linear {
            out: classes,
            init: self.init,
            bias: true,
        });
        Ok(NetSpec {
            input: inputs,
            layers,
        })
    }
}

/// Everything a run needs: data, model, training.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunConfig {
    /// The data.
    pub data: DataConfig,
    /// The network.
    pub model: ModelConfig,
    /// The training.
    pub train: TrainConfig,
}

impl RunConfig {
    /// Reads a TOML (`.toml`) or JSON (anything else) config file.
    ///
    /// # Errors
    /// [`Error::Io`] for an unreadable file; [`Error::Parse`] naming the file and the problem
    /// (unknown field, wrong type, with line and column where the parser gives them).
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let name = path.display().to_string();
        let parsed = if path.extension().is_some_and(|e| e == "toml") {
            Self::from_toml_str(&text)
        } else {
            Self::from_json_str(&text)
        };
        parsed.map_err(|e| match e {
            Error::Parse {
                line,
                column,
                message,
                ..
            } => Error::Parse {
                path: name,
                line,
                column,
                message,
            },
            other => other,
        })
    }

    /// Parses a JSON run configuration.
    ///
    /// # Errors
    /// [`Error::Parse`] with the line and column of the problem.
    pub fn from_json_str(text: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| Error::Parse {
            path: "<json>".into(),
            line: Some(e.line() as u64),
            column: Some(e.column()),
            message: e.to_string(),
        })
    }

    /// Parses a TOML run configuration.
    ///
    /// # Errors
    /// [`Error::Parse`] naming the problem (the message shows the line).
    pub fn from_toml_str(text: &str) -> Result<Self> {
        toml::from_str(text).map_err(|e| Error::Parse {
            path: "<toml>".into(),
            line: None,
            column: None,
            message: e.to_string(),
        })
    }
}

/// What a finished run reports (`summary.json`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    /// Validation accuracy after the last epoch.
    pub final_val_accuracy: f64,
    /// Best validation accuracy over the epochs.
    pub best_val_accuracy: f64,
    /// The epoch of the best validation accuracy.
    pub best_epoch: usize,
    /// Validation loss after the last epoch.
    pub final_val_loss: f64,
    /// Training loss of the last epoch.
    pub final_train_loss: f64,
    /// Epochs trained in total.
    pub epochs: usize,
    /// The seed.
    pub seed: u64,
    /// Trainable parameters.
    pub parameters: usize,
    /// Wall-clock seconds of this invocation.
    pub wall_time_s: f64,
    /// The fully resolved configuration.
    pub config: RunConfig,
}

/// Loads the data a config names (raw features, before normalization).
///
/// # Errors
/// An unknown bundled name, an unreadable or malformed file.
pub fn load_data(cfg: &DataConfig) -> Result<Dataset<f32>> {
    let src = cfg.source.as_str();
    if crate::data::BUNDLED_NAMES.contains(&src) || src == "breast_cancer" {
        return load_bundled(src);
    }
    let path = Path::new(src);
    if !path.exists() {
        return Err(Error::config(
            "data",
            format!(
                "{src:?} is neither a bundled data set ({}) nor an existing file",
                crate::data::BUNDLED_NAMES.join(", ")
            ),
        ));
    }
    match &cfg.labels {
        Some(labels) => load_idx(path, labels),
        None => load_csv(
            path,
            &CsvOptions {
                label: cfg.label_column.clone(),
                ..CsvOptions::default()
            },
        ),
    }
}

/// A run, validated and ready: nothing has been written yet.
pub struct Prepared {
    /// The training split, normalized.
    pub train: Dataset<f32>,
    /// The validation split, normalized.
    pub val: Dataset<f32>,
    /// The fitted input normalization.
    pub standardizer: Option<Standardizer>,
    /// The network.
    pub net: Network<f32>,
    /// The trainer.
    pub trainer: Trainer<f32>,
    /// The configuration.
    pub config: RunConfig,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("train", &self.train.len())
            .field("val", &self.val.len())
            .field("net", &self.net)
            .finish()
    }
}

/// Validates a config and builds everything (data, split, normalization, network, trainer),
/// without writing anything. With `resume`, the network and trainer come from that checkpoint
/// (and `config.train.epochs` extends the run).
///
/// # Errors
/// Any invalid value, named.
pub fn prepare(config: RunConfig, resume: Option<&Path>) -> Result<Prepared> {
    let d = &config.data;
    if !(d.val_fraction > 0.0 && d.val_fraction < 1.0) {
        return Err(Error::config(
            "val_fraction",
            format!("must lie in (0, 1), got {}", d.val_fraction),
        ));
    }
    let data = load_data(d)?;
    let mut rng = DefaultRng::seed_from_u64(config.train.seed);
    let (mut train, mut val) = data.split(d.val_fraction, d.stratified, &mut rng)?;
    let scaling = match d.normalize {
        Normalize::Standard => Some(Scaling::Standard),
        Normalize::MinMax => Some(Scaling::MinMax),
        Normalize::PcaWhitening => Some(Scaling::PcaWhitening),
        Normalize::None => None,
    };
    let standardizer = scaling
        .map(|s| Standardizer::fit(s, train.features()))
        .transpose()?;
    if let Some(s) = &standardizer {
        *train.features_mut() = s.transform(train.features())?;
        *val.features_mut() = s.transform(val.features())?;
    }
    let spec = config
        .model
        .spec(train.num_features(), train.num_classes())?;
    let (net, trainer) = match resume {
        Some(path) => {
            let ck = load_checkpoint::<f32>(path)?;
            let mut trainer = ck.trainer.ok_or_else(|| Error::Checkpoint {
                path: path.into(),
                message: "holds no trainer state to resume".into(),
            })?;
            if ck.net.spec() != Some(&spec) {
                return Err(Error::Checkpoint {
                    path: path.into(),
                    message: "its network differs from the configured one".into(),
                });
            }
            trainer.set_epochs(config.train.epochs)?;
            (ck.net, trainer)
        }
        None => (
            Network::from_spec(&spec, &mut rng)?,
            Trainer::new(config.train.clone())?,
        ),
    };
    Ok(Prepared {
        train,
        val,
        standardizer,
        net,
        trainer,
        config,
    })
}

/// Trains a prepared run and writes into `out`: `history.jsonl`, `history.csv`, `loss.svg`,
/// `accuracy.svg`, `lr.svg`, `checkpoint.safetensors` (resumable, PyTorch-loadable) and
/// `summary.json`.
///
/// # Errors
/// A training error; [`Error::Io`] when `out` cannot be written.
pub fn execute(mut p: Prepared, out: &Path) -> Result<Summary> {
    let start = Instant::now();
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let ckpt = out.join("checkpoint.safetensors");
    let run_json = serde_json::to_string(&p.config).expect("config serializes");
    let standardizer = p.standardizer.as_ref();
    // A checkpoint and the history are on disk after every epoch, so an interrupted run
    // resumes from its last finished epoch.
    let mut save = |t: &Trainer<f32>, net: &Network<f32>| -> Result<()> {
        let meta = std::collections::HashMap::from([(RUN_KEY.to_string(), run_json.clone())]);
        save_checkpoint_meta(&ckpt, net, Some(t), standardizer, meta)?;
        t.history().write(out)
    };
    p.trainer
        .fit_with(&mut p.net, &p.train, Some(&p.val), &mut [], &mut save)?;
    // Once more at the end: early stopping may have restored the best weights.
    save(&p.trainer, &p.net)?;
    let history = p.trainer.history().clone();
    plot::plot_history(&history, out)?;
    let last = history
        .last()
        .ok_or_else(|| Error::Data("no epoch was trained".into()))?;
    let (best_epoch, best) = history.best_val_accuracy().unwrap_or((0, 0.0));
    let summary = Summary {
        final_val_accuracy: last.val_accuracy.unwrap_or(0.0),
        best_val_accuracy: best,
        best_epoch,
        final_val_loss: last.val_loss.unwrap_or(f64::NAN),
        final_train_loss: last.train_loss,
        epochs: last.epoch,
        seed: p.config.train.seed,
        parameters: p.net.params().num_elements(),
        wall_time_s: start.elapsed().as_secs_f64(),
        config: p.config,
    };
    write_atomic(
        &out.join("summary.json"),
        serde_json::to_string_pretty(&summary)
            .expect("summary serializes")
            .as_bytes(),
    )?;
    Ok(summary)
}
