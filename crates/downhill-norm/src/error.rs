//! The error type of the normalization crate.

use downhill_autograd::AutogradError;
use downhill_tensor::TensorError;
use thiserror::Error;

/// What can go wrong when configuring, fitting or running a normalization.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum NormError {
    /// A hyperparameter outside its valid range (negative `eps`, `momentum` outside `[0, 1]`, …).
    #[error("invalid {name} = {value}: {reason}")]
    InvalidConfig {
        /// The hyperparameter's name, e.g. `"eps"`.
        name: &'static str,
        /// Its value, printed.
        value: String,
        /// What is allowed.
        reason: &'static str,
    },
    /// An input whose rank (number of dimensions) the layer does not accept.
    #[error("{layer}: expected {expected} input, got shape {actual:?}")]
    Rank {
        /// The layer, e.g. `"BatchNorm1d"`.
        layer: &'static str,
        /// The accepted ranks, in words.
        expected: &'static str,
        /// The input's shape.
        actual: Vec<usize>,
    },
    /// An input whose shape does not fit the layer's configuration (e.g. wrong channel count).
    #[error("{layer}: expected input of shape {expected}, got shape {actual:?}")]
    Shape {
        /// The layer.
        layer: &'static str,
        /// The expected shape, e.g. `"[N, 4, *]"`.
        expected: String,
        /// The input's shape.
        actual: Vec<usize>,
    },
    /// Training batch norm with a single value per channel: the batch variance is undefined.
    #[error("Expected more than 1 value per channel when training, got input size {shape:?}")]
    OneValuePerChannel {
        /// The input's shape.
        shape: Vec<usize>,
    },
    /// A NaN or infinite value in a standardizer's input.
    #[error("non-finite value {value} at row {row}, column {column}")]
    NonFinite {
        /// Row index (sample).
        row: usize,
        /// Column index (feature).
        column: usize,
        /// The offending value.
        value: f64,
    },
    /// A matrix with no rows where data are needed.
    #[error("{op}: the input has no rows")]
    Empty {
        /// The operation.
        op: &'static str,
    },
    /// A buffer (running statistic) loaded with the wrong shape, or an unknown buffer name.
    #[error("buffer {name:?}: {reason}")]
    Buffer {
        /// The buffer's name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// An error from the autograd tape (stale handle, unknown parameter, …).
    #[error(transparent)]
    Autograd(#[from] AutogradError),
    /// An error from a tensor kernel.
    #[error(transparent)]
    Tensor(#[from] TensorError),
}

/// Shorthand for results of the normalization crate.
pub type Result<T> = std::result::Result<T, NormError>;

/// Checks `eps ≥ 0` and finite.
pub(crate) fn check_eps(eps: f64) -> Result<()> {
    if eps.is_finite() && eps >= 0.0 {
        Ok(())
    } else {
        Err(NormError::InvalidConfig {
            name: "eps",
            value: eps.to_string(),
            reason: "must be finite and non-negative",
        })
    }
}
