//! Weight constraints applied after each optimizer step: max-norm per unit and non-negativity.

use downhill_autograd::ParamStore;
use downhill_tensor::{Element, Tensor};

use crate::error::{finite, non_negative};
use crate::{ParamFilter, RegError, Result};

/// Which slices of a weight tensor are the "units" whose norms [`MaxNorm`] bounds.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum UnitAxis {
    /// Each slice along axis 0 (`w[i, ..]`) is a unit (the default). With PyTorch's layouts,
    /// a linear weight `[out, in]` has one row of incoming weights per output unit, and a
    /// convolution kernel `[out, in, kh, kw]` one filter per output channel.
    #[default]
    Rows,
    /// Each column `w[.., j]` of a matrix is a unit (Keras' `[in, out]` layout).
    Columns,
}

/// The max-norm constraint: the incoming weight vector of every unit is projected back onto
/// the ball of radius `c` after each step (Srebro & Shraibman 2005; Hinton et al. 2012 and
/// Srivastava et al. 2014 pair it with dropout, which then tolerates larger learning rates).
///
/// ```text
/// wᵤ ← wᵤ · min(1, c / ‖wᵤ‖₂)     for every unit u
/// ```
///
/// ```
/// use downhill_reg::{MaxNorm, UnitAxis};
/// use downhill_tensor::Tensor;
/// let mut w = Tensor::<f64>::from_vec(&[2, 2], vec![3.0, 4.0, 0.3, 0.4]).unwrap();
/// MaxNorm::new(1.0, UnitAxis::Rows).unwrap().apply(&mut w).unwrap();
/// assert_eq!(w.as_slice(), &[0.6, 0.8, 0.3, 0.4]); // only the first row had norm > 1
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MaxNorm {
    /// The largest allowed L2 norm `c ≥ 0` of a unit's weights.
    pub max_norm: f64,
    /// Which slices are units (default rows).
    #[serde(default)]
    pub axis: UnitAxis,
}

impl MaxNorm {
    /// A max-norm constraint of radius `max_norm`.
    ///
    /// # Errors
    /// [`RegError::InvalidHyperparameter`] for a negative or non-finite radius.
    pub fn new(max_norm: f64, axis: UnitAxis) -> Result<Self> {
        let m = Self { max_norm, axis };
        non_negative("max_norm", "max_norm", max_norm).map(|()| m)
    }

    /// Rescales every unit whose norm exceeds the radius, in place.
    ///
    /// # Errors
    /// [`RegError::InvalidShape`] for a tensor of rank < 2 (or ≠ 2 with [`UnitAxis::Columns`]);
    /// [`RegError::NonFinite`] for NaN or infinite weights (the tensor is then untouched).
    pub fn apply<E: Element>(&self, w: &mut Tensor<E>) -> Result<()> {
        non_negative("max_norm", "max_norm", self.max_norm)?;
        finite("max_norm", "the weight", w)?;
        let shape = w.shape().to_vec();
        let bad = |reason: &str| RegError::InvalidShape {
            op: "max_norm",
            shape: shape.clone(),
            reason: reason.to_string(),
        };
        match self.axis {
            UnitAxis::Rows if shape.len() < 2 => Err(bad("expected rank ≥ 2 (units along axis 0)")),
            UnitAxis::Columns if shape.len() != 2 => Err(bad("columns need a matrix")),
            UnitAxis::Rows => {
                let per_unit = shape[1..].iter().product::<usize>().max(1);
                for row in w.as_mut_slice().chunks_exact_mut(per_unit) {
                    let norm = row.iter().map(|x| x.as_f64().powi(2)).sum::<f64>().sqrt();
                    self.shrink(row.iter_mut(), norm);
                }
                Ok(())
            }
            UnitAxis::Columns => {
                let cols = shape[1];
                let data = w.as_mut_slice();
                for j in 0..cols {
                    let norm = data[j..].iter().step_by(cols).map(|x| x.as_f64().powi(2));
                    let norm = norm.sum::<f64>().sqrt();
                    self.shrink(data[j..].iter_mut().step_by(cols), norm);
                }
                Ok(())
            }
        }
    }

    fn shrink<'a, E: Element>(&self, unit: impl Iterator<Item = &'a mut E>, norm: f64) {
        if norm > self.max_norm {
            // Normalize first, then scale: x/‖w‖ is correctly rounded, so a row already at an
            // exact multiple of the radius lands on it.
            let c = self.max_norm;
            unit.for_each(|x| *x = E::of(x.as_f64() / norm * c));
        }
    }
}

/// The non-negativity constraint: `w ← max(w, 0)` elementwise after each step (a projection
/// onto the non-negative orthant, as in non-negative matrix factorization).
///
/// ```
/// use downhill_reg::NonNeg;
/// use downhill_tensor::Tensor;
/// let mut w = Tensor::<f32>::from_vec(&[3], vec![-1.0, 0.0, 2.0]).unwrap();
/// NonNeg.apply(&mut w).unwrap();
/// assert_eq!(w.as_slice(), &[0.0, 0.0, 2.0]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct NonNeg;

impl NonNeg {
    /// Clamps negative elements to 0, in place.
    ///
    /// # Errors
    /// [`RegError::NonFinite`] for NaN or infinite weights (the tensor is then untouched).
    pub fn apply<E: Element>(&self, w: &mut Tensor<E>) -> Result<()> {
        finite("non_neg", "the weight", w)?;
        w.map_inplace(|x| x.max(E::zero()));
        Ok(())
    }
}

/// A constraint chosen by configuration: either kind, serialized with a `kind` tag.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Constraint {
    /// See [`MaxNorm`].
    MaxNorm(MaxNorm),
    /// See [`NonNeg`].
    NonNeg(NonNeg),
}

impl Constraint {
    /// Applies the constraint to one tensor.
    ///
    /// # Errors
    /// As [`MaxNorm::apply`] or [`NonNeg::apply`].
    pub fn apply<E: Element>(&self, w: &mut Tensor<E>) -> Result<()> {
        match self {
            Constraint::MaxNorm(m) => m.apply(w),
            Constraint::NonNeg(n) => n.apply(w),
        }
    }

    /// Applies the constraint to every parameter of a store that `filter` selects (call it
    /// right after the optimizer step).
    ///
    /// # Errors
    /// As [`Constraint::apply`], naming the parameter; parameters before it stay constrained.
    pub fn apply_to_params<E: Element>(
        &self,
        store: &mut ParamStore<E>,
        filter: &ParamFilter,
    ) -> Result<()> {
        for p in store.iter_mut() {
            if filter.selects(&p.name, p.value.shape()) {
                self.apply(&mut p.value).map_err(|e| match e {
                    RegError::NonFinite { op, .. } => RegError::NonFinite {
                        op,
                        what: p.name.clone(),
                    },
                    other => other,
                })?;
            }
        }
        Ok(())
    }
}
