//! The facade's error type.

use std::path::PathBuf;

use thiserror::Error;

/// Everything that can go wrong when building, training, saving or loading a network.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// A tensor kernel rejected its operands.
    #[error(transparent)]
    Tensor(#[from] downhill_tensor::TensorError),
    /// Recording or differentiating failed.
    #[error(transparent)]
    Autograd(#[from] downhill_autograd::AutogradError),
    /// A weight-initialization scheme rejected its arguments.
    #[error(transparent)]
    Init(#[from] downhill_init::InitError),
    /// An optimizer or schedule rejected its configuration or inputs.
    #[error(transparent)]
    Optim(#[from] downhill_optim::OptimError),
    /// A normalization layer or the standardizer rejected its configuration or input.
    #[error(transparent)]
    Norm(#[from] downhill_norm::NormError),
    /// A regularizer rejected its configuration or input.
    #[error(transparent)]
    Reg(#[from] downhill_reg::RegError),
    /// The learned optimizer could not be loaded or run.
    #[error(transparent)]
    L2o(#[from] downhill_l2o::L2oError),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A data file's content is malformed.
    #[error("{path}{}: {message}", location(*.line, *.column))]
    Parse {
        /// The file (or a bundled data set's name).
        path: String,
        /// 1-based line, when known.
        line: Option<u64>,
        /// 1-based column, when known.
        column: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// A configuration value is invalid.
    #[error("invalid {field}: {message}")]
    Config {
        /// The field or argument name.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// A data set that cannot be used as asked.
    #[error("data: {0}")]
    Data(String),
    /// A checkpoint that cannot be loaded.
    #[error("checkpoint {path}: {message}")]
    Checkpoint {
        /// The checkpoint file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A NaN or infinity appeared during training.
    #[error("non-finite {what} at epoch {epoch}, step {step}{}", param.as_ref().map(|p| format!(" in parameter {p:?}")).unwrap_or_default())]
    NonFinite {
        /// `"loss"` or `"gradient"`.
        what: &'static str,
        /// The epoch (1-based).
        epoch: usize,
        /// The global step (1-based).
        step: u64,
        /// The offending parameter, for a gradient.
        param: Option<String>,
    },
}

fn location(line: Option<u64>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(", line {l}, column {c}"),
        (Some(l), None) => format!(", line {l}"),
        _ => String::new(),
    }
}

/// Shorthand for results of the facade.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// A configuration error for `field`.
    pub fn config(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Config {
            field: field.into(),
            message: message.into(),
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
