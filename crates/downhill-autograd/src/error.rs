//! The error type of the autograd crate.

use downhill_tensor::TensorError;
use thiserror::Error;

/// What can go wrong while recording or differentiating a computation.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum AutogradError {
    /// A kernel rejected its operands (the message names the op and the shapes).
    #[error(transparent)]
    Tensor(#[from] TensorError),
    /// A [`Var`](crate::Var) created by another tape.
    #[error(
        "{op}: this handle belongs to another tape (tape #{handle_tape}, used with tape #{tape})"
    )]
    WrongTape {
        /// The operation that received the handle.
        op: &'static str,
        /// The tape the handle came from.
        handle_tape: u32,
        /// The tape it was used with.
        tape: u32,
    },
    /// A [`Var`](crate::Var) recorded before the tape was last cleared.
    #[error("{op}: this handle is stale: it was recorded before the tape was cleared")]
    StaleHandle {
        /// The operation that received the handle.
        op: &'static str,
    },
    /// `backward` from a tensor that is not a scalar, without a seed gradient.
    #[error(
        "backward: the output has shape {shape:?}; backward without a seed needs a single-element output (use backward_with_seed)"
    )]
    NotScalar {
        /// Shape of the output.
        shape: Vec<usize>,
    },
    /// A gradient (a seed, or one returned by a custom op) whose shape differs from its value's.
    #[error("{op}: gradient of shape {grad:?} for a value of shape {value:?}")]
    GradShape {
        /// Where the gradient came from.
        op: String,
        /// The gradient's shape.
        grad: Vec<usize>,
        /// The value's shape.
        value: Vec<usize>,
    },
    /// A parameter id or name that the store does not hold.
    #[error("unknown parameter {0}")]
    UnknownParam(String),
    /// A parameter name registered twice.
    #[error("duplicate parameter name {0:?}")]
    DuplicateParam(String),
    /// A custom operation's own failure.
    #[error("{op}: {message}")]
    Custom {
        /// The custom op's name.
        op: String,
        /// What went wrong.
        message: String,
    },
    /// The gradient checker found analytic and numeric gradients that disagree.
    #[error(
        "gradient check failed for {input}[{index}]: analytic {analytic:e}, numeric {numeric:e} (error {error:e} > tolerance {tolerance:e})"
    )]
    GradCheck {
        /// The input's name.
        input: String,
        /// Flat index of the worst element.
        index: usize,
        /// Gradient from backward.
        analytic: f64,
        /// Central finite difference.
        numeric: f64,
        /// The error measure `|a − n| / max(1, |a|, |n|)`.
        error: f64,
        /// The tolerance it exceeded.
        tolerance: f64,
    },
}

/// Shorthand for results of the autograd crate.
pub type Result<T> = std::result::Result<T, AutogradError>;
