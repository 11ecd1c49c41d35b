//! The error type of the learned-optimizer crate.

use std::path::PathBuf;

use thiserror::Error;

/// What can go wrong when building, meta-training, evaluating or loading a learned optimizer.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum L2oError {
    /// A tensor kernel rejected its operands.
    #[error(transparent)]
    Tensor(#[from] downhill_tensor::TensorError),
    /// Recording or differentiating a task's loss failed.
    #[error(transparent)]
    Autograd(#[from] downhill_autograd::AutogradError),
    /// An optimizer (learned or baseline) rejected its input.
    #[error(transparent)]
    Optim(#[from] downhill_optim::OptimError),
    /// Initializing a task's parameters failed.
    #[error(transparent)]
    Init(#[from] downhill_init::InitError),
    /// A weights file that is not a valid learned-optimizer file.
    #[error("learned-optimizer weights: {0}")]
    Weights(String),
    /// A configuration value outside its valid range.
    #[error("invalid `{name}`: {reason}")]
    Config {
        /// The setting.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// `Result` with [`L2oError`].
pub type Result<T> = std::result::Result<T, L2oError>;

pub(crate) fn config(name: &'static str, reason: impl Into<String>) -> L2oError {
    L2oError::Config {
        name,
        reason: reason.into(),
    }
}
