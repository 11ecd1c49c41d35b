//! The error type of the tensor core.

use thiserror::Error;

/// What can go wrong in a tensor kernel: always names the operation and the shapes involved.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum TensorError {
    /// Two operands whose shapes the operation cannot combine.
    #[error("{op}: incompatible shapes {lhs:?} and {rhs:?}{detail}")]
    ShapeMismatch {
        /// The operation, e.g. `"matmul"` or `"add"`.
        op: &'static str,
        /// Shape of the first operand.
        lhs: Vec<usize>,
        /// Shape of the second operand.
        rhs: Vec<usize>,
        /// Extra explanation, starting with `": "`, or empty.
        detail: String,
    },
    /// A single operand whose shape the operation does not accept.
    #[error("{op}: invalid shape {shape:?}: {reason}")]
    InvalidShape {
        /// The operation.
        op: &'static str,
        /// The offending shape.
        shape: Vec<usize>,
        /// What was expected.
        reason: String,
    },
    /// An axis outside `0..ndim`.
    #[error("{op}: axis {axis} out of range for a tensor of shape {shape:?}")]
    AxisOutOfRange {
        /// The operation.
        op: &'static str,
        /// The requested axis.
        axis: usize,
        /// The tensor's shape.
        shape: Vec<usize>,
    },
    /// An index (e.g. a class label) outside its valid range.
    #[error("{op}: index {index} out of range 0..{bound} (at position {position})")]
    IndexOutOfRange {
        /// The operation.
        op: &'static str,
        /// The offending index.
        index: usize,
        /// The exclusive upper bound.
        bound: usize,
        /// Where in the index list it was found.
        position: usize,
    },
    /// A data buffer whose length does not match the requested shape.
    #[error("{op}: {len} elements cannot have shape {shape:?} ({expected} expected)")]
    LengthMismatch {
        /// The operation.
        op: &'static str,
        /// The requested shape.
        shape: Vec<usize>,
        /// Elements provided.
        len: usize,
        /// Elements the shape holds.
        expected: usize,
    },
    /// A scalar argument outside its domain (e.g. a negative exponent base).
    #[error("{op}: invalid argument `{name}` = {value}: {reason}")]
    InvalidArgument {
        /// The operation.
        op: &'static str,
        /// The argument name.
        name: &'static str,
        /// Its value, formatted.
        value: String,
        /// Why it is invalid.
        reason: String,
    },
}

/// Shorthand for results of the tensor core.
pub type Result<T> = std::result::Result<T, TensorError>;

impl TensorError {
    pub(crate) fn mismatch(op: &'static str, lhs: &[usize], rhs: &[usize], detail: &str) -> Self {
        TensorError::ShapeMismatch {
            op,
            lhs: lhs.to_vec(),
            rhs: rhs.to_vec(),
            detail: if detail.is_empty() {
                String::new()
            } else {
                format!(": {detail}")
            },
        }
    }

    pub(crate) fn invalid_shape(
        op: &'static str,
        shape: &[usize],
        reason: impl Into<String>,
    ) -> Self {
        TensorError::InvalidShape {
            op,
            shape: shape.to_vec(),
            reason: reason.into(),
        }
    }
}
