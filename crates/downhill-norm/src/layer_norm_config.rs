//! The configuration of a layer-norm layer, with PyTorch's names and defaults.

use serde::{Deserialize, Serialize};

use crate::error::check_eps;
use crate::{NormError, Result};

/// Hyperparameters of [`LayerNorm`](crate::LayerNorm), named and defaulted as PyTorch's
/// `nn.LayerNorm`.
///
/// ```
/// use downhill_norm::LayerNormConfig;
/// let config = LayerNormConfig { bias: false, ..LayerNormConfig::new(&[8]) };
/// assert!(config.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerNormConfig {
    /// The trailing dimensions normalized together, e.g. `[D]` or `[C, H, W]`.
    pub normalized_shape: Vec<usize>,
    /// `ε`, added to the variance inside the square root (default `1e-5`, must be `≥ 0`).
    pub eps: f64,
    /// Whether a learnable elementwise scale `γ` ("weight", ones, of `normalized_shape`) is
    /// applied (default `true`).
    pub elementwise_affine: bool,
    /// Whether a learnable elementwise shift `β` ("bias", zeros) is added too (default `true`;
    /// only meaningful with `elementwise_affine`, as in PyTorch).
    pub bias: bool,
}

impl LayerNormConfig {
    /// The defaults (`eps = 1e-5`, affine with bias) for the given normalized shape.
    pub fn new(normalized_shape: &[usize]) -> Self {
        Self {
            normalized_shape: normalized_shape.to_vec(),
            eps: 1e-5,
            elementwise_affine: true,
            bias: true,
        }
    }

    /// Checks the hyperparameters.
    ///
    /// # Errors
    /// [`NormError::InvalidConfig`] for an empty normalized shape or one with a zero
    /// dimension, or a negative or non-finite `eps`.
    pub fn validate(&self) -> Result<()> {
        if self.normalized_shape.is_empty() || self.normalized_shape.contains(&0) {
            return Err(NormError::InvalidConfig {
                name: "normalized_shape",
                value: format!("{:?}", self.normalized_shape),
                reason: "must be non-empty with positive dimensions",
            });
        }
        check_eps(self.eps)
    }

    /// The number of elements normalized together, `D`.
    pub fn normalized_len(&self) -> usize {
        self.normalized_shape.iter().product()
    }
}
