//! The batch-norm layer: BatchNorm1d over `[N, C]` / `[N, C, L]`, BatchNorm2d over
//! `[N, C, H, W]`, one implementation (channel axis 1, reduce over all others).

use downhill_autograd::{ParamId, ParamStore, Tape, Var};
use downhill_tensor::{Element, Tensor};

use crate::running_stats::RunningStats;
use crate::{BatchNormConfig, ChannelLayout, Mode, NormError, Result, Statistics, batch_norm};

/// Which inputs a [`BatchNorm`] accepts, as PyTorch's classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum BatchNormKind {
    /// Any `[N, C, *]` input of rank ≥ 2.
    Any,
    /// `nn.BatchNorm1d`: `[N, C]` or `[N, C, L]`.
    BatchNorm1d,
    /// `nn.BatchNorm2d`: `[N, C, H, W]`.
    BatchNorm2d,
}

impl BatchNormKind {
    fn name(self) -> &'static str {
        match self {
            Self::Any => "BatchNorm",
            Self::BatchNorm1d => "BatchNorm1d",
            Self::BatchNorm2d => "BatchNorm2d",
        }
    }

    fn check_rank(self, shape: &[usize]) -> Result<()> {
        let (ok, expected) = match self {
            Self::Any => (shape.len() >= 2, "an [N, C, *] (rank ≥ 2)"),
            Self::BatchNorm1d => (
                matches!(shape.len(), 2 | 3),
                "a 2-D [N, C] or 3-D [N, C, L]",
            ),
            Self::BatchNorm2d => (shape.len() == 4, "a 4-D [N, C, H, W]"),
        };
        if ok {
            return Ok(());
        }
        Err(NormError::Rank {
            layer: self.name(),
            expected,
            actual: shape.to_vec(),
        })
    }
}

/// Batch normalization (Ioffe & Szegedy 2015), exactly as PyTorch's `nn.BatchNorm1d/2d`.
///
/// ```text
/// training:   μ_B = (1/M) Σ x       σ²_B = (1/M) Σ (x − μ_B)²      (biased)
///             y = γ · (x − μ_B) / √(σ²_B + ε) + β
///             running_mean := (1 − m)·running_mean + m·μ_B
///             running_var  := (1 − m)·running_var  + m·σ²_B·M/(M − 1)   (unbiased)
/// evaluation: y = γ · (x − running_mean) / √(running_var + ε) + β
/// ```
/// per channel `c` (axis 1), with the sums over the `M = N·L` (or `N·H·W`) values of the
/// channel. The slide's `h = (h − μ)/√σ²` omits `ε`; here, as in the paper's algorithm box and
/// PyTorch, `ε` sits inside the root. The slide's running average uses the batch variance as is;
/// PyTorch (and this layer) store the unbiased batch variance in `running_var`.
///
/// Parameters `"{prefix}weight"` (`γ`) and `"{prefix}bias"` (`β`) live in the tape's
/// [`ParamStore`]; the running statistics are buffers owned by the layer, listed by
/// [`BatchNorm::buffers`] under PyTorch's `state_dict` names.
#[derive(Debug, Clone)]
pub struct BatchNorm<E: Element = f32> {
    pub(crate) config: BatchNormConfig,
    kind: BatchNormKind,
    pub(crate) prefix: String,
    weight: Option<ParamId>,
    bias: Option<ParamId>,
    pub(crate) running: Option<RunningStats<E>>,
}

impl<E: Element> BatchNorm<E> {
    /// A batch-norm layer accepting any `[N, C, *]` input; registers `"{prefix}weight"` (ones)
    /// and `"{prefix}bias"` (zeros) in `params` when `config.affine`.
    ///
    /// # Errors
    /// [`NormError::InvalidConfig`] from [`BatchNormConfig::validate`]; a duplicate parameter
    /// name.
    pub fn new(config: BatchNormConfig, params: &mut ParamStore<E>, prefix: &str) -> Result<Self> {
        Self::with_kind(config, BatchNormKind::Any, params, prefix)
    }

    /// `nn.BatchNorm1d`: as [`BatchNorm::new`], accepting `[N, C]` and `[N, C, L]` only.
    ///
    /// # Errors
    /// As [`BatchNorm::new`].
    pub fn new_1d(
        config: BatchNormConfig,
        params: &mut ParamStore<E>,
        prefix: &str,
    ) -> Result<Self> {
        Self::with_kind(config, BatchNormKind::BatchNorm1d, params, prefix)
    }

    /// `nn.BatchNorm2d`: as [`BatchNorm::new`], accepting `[N, C, H, W]` only.
    ///
    /// # Errors
    /// As [`BatchNorm::new`].
    pub fn new_2d(
        config: BatchNormConfig,
        params: &mut ParamStore<E>,
        prefix: &str,
    ) -> Result<Self> {
        Self::with_kind(config, BatchNormKind::BatchNorm2d, params, prefix)
    }

    /// A batch-norm layer of the given kind.
    ///
    /// # Errors
    /// As [`BatchNorm::new`].
    pub fn with_kind(
        config: BatchNormConfig,
        kind: BatchNormKind,
        params: &mut ParamStore<E>,
        prefix: &str,
    ) -> Result<Self> {
        config.validate()?;
        let c = config.num_features;
        let (weight, bias) = if config.affine {
            let w = params.add(format!("{prefix}weight"), Tensor::ones(&[c]))?;
            let b = params.add(format!("{prefix}bias"), Tensor::zeros(&[c]))?;
            (Some(w), Some(b))
        } else {
            (None, None)
        };
        let running = config.track_running_stats.then(|| RunningStats::new(c));
        Ok(Self {
            config,
            kind,
            prefix: prefix.to_string(),
            weight,
            bias,
            running,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &BatchNormConfig {
        &self.config
    }

    /// Which inputs the layer accepts.
    pub fn kind(&self) -> BatchNormKind {
        self.kind
    }

    /// The id of `γ` ("weight") in the parameter store, if affine.
    pub fn weight(&self) -> Option<ParamId> {
        self.weight
    }

    /// The id of `β` ("bias") in the parameter store, if affine.
    pub fn bias(&self) -> Option<ParamId> {
        self.bias
    }

    /// Normalizes `x` (`[N, C, *]`) per channel; see the type's documentation for the maths.
    ///
    /// In [`Mode::Train`] (or whenever `track_running_stats` is off) the batch statistics are
    /// used, and in training the running estimates are updated; in [`Mode::Eval`] the running
    /// estimates are used. The result is recorded on `tape` with a fused backward.
    ///
    /// # Errors
    /// [`NormError::Rank`] for a rank the layer's kind rejects; [`NormError::Shape`] for a
    /// channel count other than `num_features`; [`NormError::OneValuePerChannel`] when batch
    /// statistics are needed and each channel has at most one value; a stale or wrong-tape
    /// handle. Nothing is updated when an error is returned.
    pub fn forward(&mut self, tape: &mut Tape<E>, x: Var, mode: Mode) -> Result<Var> {
        let shape = tape.value(x)?.shape().to_vec();
        let layout = self.check_input(&shape)?;
        let (weight, bias) = match self.affine_vars(tape)? {
            Some((w, b)) => (Some(w), Some(b)),
            None => (None, None),
        };
        let statistics = match (&self.running, mode) {
            (Some(r), Mode::Eval) => Statistics::Running {
                mean: r.mean.as_slice(),
                var: r.var.as_slice(),
            },
            _ => Statistics::Batch,
        };
        let (y, stats) = batch_norm(tape, x, weight, bias, statistics, self.config.eps)?;
        if let (Some(r), Mode::Train) = (&mut self.running, mode) {
            r.update(&stats, layout.per_channel(), self.config.momentum);
        }
        Ok(y)
    }

    fn check_input(&self, shape: &[usize]) -> Result<ChannelLayout> {
        self.kind.check_rank(shape)?;
        let c = self.config.num_features;
        if shape[1] != c {
            return Err(NormError::Shape {
                layer: self.kind.name(),
                expected: format!("[N, {c}, *] ({c} channels on axis 1)"),
                actual: shape.to_vec(),
            });
        }
        ChannelLayout::of(shape)
    }

    /// Records `γ` and `β` on the tape, checking their shapes.
    fn affine_vars(&self, tape: &mut Tape<E>) -> Result<Option<(Var, Var)>> {
        let (Some(w), Some(b)) = (self.weight, self.bias) else {
            return Ok(None);
        };
        let c = self.config.num_features;
        for (id, name) in [(w, "weight"), (b, "bias")] {
            let got = tape.params().get(id)?.value.shape().to_vec();
            if got != [c] {
                return Err(NormError::Shape {
                    layer: self.kind.name(),
                    expected: format!("[{c}] for parameter {}{name}", self.prefix),
                    actual: got,
                });
            }
        }
        Ok(Some((tape.param(w)?, tape.param(b)?)))
    }
}
