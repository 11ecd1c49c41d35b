//! The error type of the optimizer crate.

use thiserror::Error;

/// What can go wrong when building or stepping an optimizer or a schedule.
///
/// Every variant names the offending hyperparameter and its value, or the parameter index and
/// the shapes involved, so the message alone says what to fix.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum OptimError {
    /// A hyperparameter outside its valid range.
    #[error("{optimizer}: invalid hyperparameter `{name}` = {value}: {reason}")]
    InvalidHyperparameter {
        /// The optimizer or schedule, e.g. `"adam"`.
        optimizer: &'static str,
        /// The hyperparameter, e.g. `"betas.0"`.
        name: &'static str,
        /// Its value.
        value: f64,
        /// What the valid range is.
        reason: &'static str,
    },
    /// A gradient whose shape differs from its parameter's.
    #[error("parameter {index}: gradient shape {grad:?} differs from parameter shape {param:?}")]
    GradShape {
        /// Position of the parameter in the slice.
        index: usize,
        /// The parameter's shape.
        param: Vec<usize>,
        /// The gradient's shape.
        grad: Vec<usize>,
    },
    /// A parameter whose shape changed since the optimizer first saw it.
    #[error(
        "parameter {index}: shape {now:?} differs from the shape {before:?} the optimizer state was built for"
    )]
    ParamShapeChanged {
        /// Position of the parameter in the slice.
        index: usize,
        /// The shape the state holds.
        before: Vec<usize>,
        /// The shape passed now.
        now: Vec<usize>,
    },
    /// A different number of parameters than in earlier steps.
    #[error("the optimizer was stepped with {before} parameters before and {now} now")]
    ParamCountChanged {
        /// The earlier count.
        before: usize,
        /// The count passed now.
        now: usize,
    },
    /// A parameter group index that does not exist.
    #[error("parameter group {group} does not exist ({count} groups)")]
    NoSuchGroup {
        /// The requested group.
        group: usize,
        /// How many groups there are.
        count: usize,
    },
    /// The optimizer has no momentum or beta1 for OneCycle-style cycling.
    #[error("{optimizer} has no momentum or beta1 to set")]
    NoMomentum {
        /// The optimizer.
        optimizer: &'static str,
    },
    /// An optimizer or schedule name `by_name` does not know.
    #[error("unknown {kind} `{name}`; valid names: {valid}")]
    UnknownName {
        /// `"optimizer"` or `"schedule"`.
        kind: &'static str,
        /// The requested name.
        name: String,
        /// The valid names, comma separated.
        valid: String,
    },
    /// A hyperparameter given to an optimizer that does not have it.
    #[error("hyperparameter `{name}` does not apply to {optimizer}")]
    NotApplicable {
        /// The optimizer.
        optimizer: &'static str,
        /// The hyperparameter.
        name: &'static str,
    },
    /// A total norm that is NaN or infinite when clipping was asked to reject it.
    #[error(
        "the total norm of order {norm_type} of the gradients is non-finite ({norm}), so it cannot be clipped"
    )]
    NonFiniteNorm {
        /// The norm order.
        norm_type: f64,
        /// The norm found.
        norm: f64,
    },
    /// A state dict that does not fit the optimizer or schedule it is loaded into.
    #[error("state dict: {0}")]
    BadState(String),
    /// A schedule stepped beyond its end (OneCycleLR), or called without a needed metric.
    #[error("{schedule}: {reason}")]
    Schedule {
        /// The schedule.
        schedule: &'static str,
        /// What went wrong.
        reason: String,
    },
}

impl OptimError {
    pub(crate) fn hyper(
        optimizer: &'static str,
        name: &'static str,
        value: f64,
        reason: &'static str,
    ) -> Self {
        OptimError::InvalidHyperparameter {
            optimizer,
            name,
            value,
            reason,
        }
    }
}

/// Checks `value ≥ 0` (and not NaN).
pub(crate) fn non_negative(
    opt: &'static str,
    name: &'static str,
    value: f64,
) -> Result<(), OptimError> {
    if value >= 0.0 && value.is_finite() {
        Ok(())
    } else {
        Err(OptimError::hyper(
            opt,
            name,
            value,
            "must be finite and ≥ 0",
        ))
    }
}

/// Checks `0 ≤ value < 1`.
pub(crate) fn unit_interval(
    opt: &'static str,
    name: &'static str,
    value: f64,
) -> Result<(), OptimError> {
    if (0.0..1.0).contains(&value) {
        Ok(())
    } else {
        Err(OptimError::hyper(opt, name, value, "must be in [0, 1)"))
    }
}
