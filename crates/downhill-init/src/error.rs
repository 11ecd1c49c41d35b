//! The error type of downhill-init.

use downhill_tensor::TensorError;

/// Everything that can go wrong when initializing a tensor.
///
/// Every check happens before anything is written, so a failed
/// [`Init::fill`](crate::Init::fill) leaves its tensor untouched.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum InitError {
    /// Fans are defined only for tensors with at least two dimensions (PyTorch raises too).
    #[error("{scheme}: fan_in and fan_out need a shape with at least 2 dimensions, got {shape:?}")]
    TooFewDims {
        /// The scheme that needed the fans.
        scheme: &'static str,
        /// The offending shape.
        shape: Vec<usize>,
    },
    /// `eye` needs a matrix.
    #[error("{scheme}: needs a 2-D shape, got {shape:?}")]
    NotMatrix {
        /// The scheme that needed a matrix.
        scheme: &'static str,
        /// The offending shape.
        shape: Vec<usize>,
    },
    /// A standard deviation (or gain) below zero.
    #[error("{scheme}: {name} must be >= 0, got {value}")]
    Negative {
        /// The scheme.
        scheme: &'static str,
        /// The parameter name (`std`, `gain`, …).
        name: &'static str,
        /// The value given.
        value: f64,
    },
    /// A NaN or infinite parameter.
    #[error("{scheme}: {name} must be finite, got {value}")]
    NotFinite {
        /// The scheme.
        scheme: &'static str,
        /// The parameter name.
        name: &'static str,
        /// The value given.
        value: f64,
    },
    /// An interval whose lower end exceeds its upper end.
    #[error("{scheme}: lower bound a = {a} exceeds upper bound b = {b}")]
    InvalidBounds {
        /// The scheme.
        scheme: &'static str,
        /// The lower bound.
        a: f64,
        /// The upper bound.
        b: f64,
    },
    /// A name that is not a known scheme, nonlinearity or fan mode.
    #[error("unknown {kind} {name:?}; valid names: {valid}")]
    UnknownName {
        /// What was being looked up (`"init scheme"`, `"nonlinearity"`, …).
        kind: &'static str,
        /// The name given.
        name: String,
        /// The valid names, comma-separated.
        valid: String,
    },
    /// A scheme string that names a known scheme but has malformed parameters.
    #[error("cannot parse init {input:?}: {reason}")]
    Parse {
        /// The whole input.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Invalid arguments to the [`depth_probe`](crate::depth_probe).
    #[error("depth probe: {0}")]
    Probe(String),
    /// A tensor operation failed.
    #[error(transparent)]
    Tensor(#[from] TensorError),
}

/// `Result` with [`InitError`].
pub type Result<T, E = InitError> = std::result::Result<T, E>;

/// Returns an error unless `value` is finite.
pub(crate) fn finite(scheme: &'static str, name: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(InitError::NotFinite {
            scheme,
            name,
            value,
        })
    }
}

/// Returns an error unless `value` is finite and `>= 0`.
pub(crate) fn non_negative(scheme: &'static str, name: &'static str, value: f64) -> Result<f64> {
    finite(scheme, name, value)?;
    if value < 0.0 {
        return Err(InitError::Negative {
            scheme,
            name,
            value,
        });
    }
    Ok(value)
}

/// Returns an error unless `a` and `b` are finite and `a <= b`.
pub(crate) fn interval(scheme: &'static str, a: f64, b: f64) -> Result<(f64, f64)> {
    finite(scheme, "a", a)?;
    finite(scheme, "b", b)?;
    if a > b {
        return Err(InitError::InvalidBounds { scheme, a, b });
    }
    Ok((a, b))
}
