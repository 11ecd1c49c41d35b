//! The error type of the regularization crate.

use downhill_autograd::AutogradError;
use downhill_tensor::TensorError;
use thiserror::Error;

/// What can go wrong in `downhill-reg`: a bad hyperparameter, a non-finite value, an image shape
/// that does not fit the batch, or an error from the layers below.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum RegError {
    /// A hyperparameter outside its domain (a dropout `p` outside `[0, 1]`, a negative `λ`, …).
    #[error("{op}: invalid `{name}` = {value}: {reason}")]
    InvalidHyperparameter {
        /// The configuration or function that rejected it.
        op: &'static str,
        /// The hyperparameter's name.
        name: &'static str,
        /// Its value, formatted.
        value: String,
        /// What was expected.
        reason: &'static str,
    },
    /// A tensor (a parameter, a metric, a batch) holding NaN or infinity where that is an error.
    #[error("{op}: {what} contains NaN or infinite values")]
    NonFinite {
        /// The operation that found it.
        op: &'static str,
        /// What held the value (e.g. a parameter name).
        what: String,
    },
    /// A batch whose shape does not fit the declared image shape.
    #[error("{op}: a batch of shape {batch:?} does not fit images of shape {image:?}: {reason}")]
    ImageShape {
        /// The operation.
        op: &'static str,
        /// The batch's shape.
        batch: Vec<usize>,
        /// The declared image shape `[C, H, W]`.
        image: [usize; 3],
        /// What was expected.
        reason: String,
    },
    /// A tensor that a function cannot handle, e.g. a rank-1 tensor given to a per-unit constraint.
    #[error("{op}: tensor of shape {shape:?}: {reason}")]
    InvalidShape {
        /// The operation.
        op: &'static str,
        /// The offending shape.
        shape: Vec<usize>,
        /// What was expected.
        reason: String,
    },
    /// Weights restored into a store that does not hold them.
    #[error("restore: {0}")]
    Restore(String),
    /// A kernel rejected its operands.
    #[error(transparent)]
    Tensor(#[from] TensorError),
    /// The tape rejected an operation.
    #[error(transparent)]
    Autograd(#[from] AutogradError),
}

/// Shorthand for results of the regularization crate.
pub type Result<T> = std::result::Result<T, RegError>;

impl From<RegError> for AutogradError {
    /// Lets `?` carry a [`RegError`] out of a closure that returns an autograd result (such as
    /// the one given to `check_gradients`); an autograd error wrapped inside is unwrapped.
    fn from(e: RegError) -> Self {
        match e {
            RegError::Autograd(inner) => inner,
            RegError::Tensor(inner) => AutogradError::Tensor(inner),
            other => AutogradError::Custom {
                op: "downhill-reg".to_string(),
                message: other.to_string(),
            },
        }
    }
}

/// Checks a hyperparameter is finite and non-negative.
pub(crate) fn non_negative(op: &'static str, name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(RegError::InvalidHyperparameter {
            op,
            name,
            value: value.to_string(),
            reason: "expected a finite value ≥ 0",
        })
    }
}

/// Checks a probability lies in `[0, 1]`.
pub(crate) fn probability(op: &'static str, name: &'static str, value: f64) -> Result<()> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(RegError::InvalidHyperparameter {
            op,
            name,
            value: value.to_string(),
            reason: "expected a probability in [0, 1]",
        })
    }
}

/// Checks every element of a tensor is finite.
pub(crate) fn finite<E: downhill_tensor::Element>(
    op: &'static str,
    what: &str,
    t: &downhill_tensor::Tensor<E>,
) -> Result<()> {
    if t.all_finite() {
        Ok(())
    } else {
        Err(RegError::NonFinite {
            op,
            what: what.to_string(),
        })
    }
}
