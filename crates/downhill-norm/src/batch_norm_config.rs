//! The configuration of a batch-norm layer, with PyTorch's names and defaults.

use serde::{Deserialize, Serialize};

use crate::error::check_eps;
use crate::{NormError, Result};

/// Hyperparameters of [`BatchNorm`](crate::BatchNorm), named and defaulted as PyTorch's
/// `nn.BatchNorm1d` / `nn.BatchNorm2d`.
///
/// ```
/// use downhill_norm::BatchNormConfig;
/// let config = BatchNormConfig { momentum: None, ..BatchNormConfig::new(16) };
/// assert!(config.validate().is_ok());
/// assert!(BatchNormConfig { eps: -1.0, ..config }.validate().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BatchNormConfig {
    /// `C`, the number of channels (features) on axis 1.
    pub num_features: usize,
    /// `ε`, added to the variance inside the square root (default `1e-5`, must be `≥ 0`).
    pub eps: f64,
    /// Weight of the newest batch in the running estimates (default `Some(0.1)`, in `[0, 1]`);
    /// `None` gives the cumulative (equal-weight) average over all batches seen.
    ///
    /// ```text
    /// running := (1 − momentum)·running + momentum·batch_statistic
    /// ```
    /// This is PyTorch's convention; the slide's `α` in `μ := α·mean + (1−α)·μ` is the same
    /// `momentum`. (Keras' `momentum` is the weight of the *old* value, `1 − momentum` here.)
    pub momentum: Option<f64>,
    /// Whether the layer has a learnable per-channel scale `γ` ("weight", initialized to 1)
    /// and shift `β` ("bias", initialized to 0) (default `true`).
    pub affine: bool,
    /// Whether running estimates of mean and variance are kept and used in evaluation (default
    /// `true`). When `false`, batch statistics are used in both modes, as in PyTorch.
    pub track_running_stats: bool,
}

impl BatchNormConfig {
    /// The defaults (`eps = 1e-5`, `momentum = Some(0.1)`, `affine`, `track_running_stats`)
    /// for `num_features` channels.
    pub fn new(num_features: usize) -> Self {
        Self {
            num_features,
            eps: 1e-5,
            momentum: Some(0.1),
            affine: true,
            track_running_stats: true,
        }
    }

    /// Checks the hyperparameters.
    ///
    /// # Errors
    /// [`NormError::InvalidConfig`] for `num_features == 0`, a negative or non-finite `eps`, or
    /// a `momentum` outside `[0, 1]`.
    pub fn validate(&self) -> Result<()> {
        if self.num_features == 0 {
            return Err(NormError::InvalidConfig {
                name: "num_features",
                value: "0".into(),
                reason: "must be positive",
            });
        }
        check_eps(self.eps)?;
        match self.momentum {
            Some(m) if !(0.0..=1.0).contains(&m) => Err(NormError::InvalidConfig {
                name: "momentum",
                value: m.to_string(),
                reason: "must lie in [0, 1] (or be None for a cumulative average)",
            }),
            _ => Ok(()),
        }
    }
}
