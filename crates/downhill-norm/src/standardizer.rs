//! Data normalization: a per-feature transform fitted on training data only.

use downhill_tensor::{Element, Tensor};
use serde::{Deserialize, Serialize};

use crate::whitening::{pca_whitening, rotate_rows};
use crate::{NormError, Result};

/// How a [`Standardizer`] rescales the features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Scaling {
    /// Zero mean, unit (population) standard deviation per feature: `z = (x − μ)/σ`.
    #[default]
    Standard,
    /// Onto `[0, 1]` per feature (on the training data): `z = (x − min)/(max − min)`.
    MinMax,
    /// Zero mean and identity covariance: `z = (x − μ)·U·Λ^(−1/2)`, with `Σ = U Λ Uᵀ` the
    /// training covariance (divided by the number of rows) and all components kept, ordered by
    /// decreasing variance.
    PcaWhitening,
}

/// A data normalization fitted on the training matrix and applied unchanged to any other data
/// (validation, test, production), serializable so a trained model ships with its transform.
///
/// ```text
/// Standard:      z_j = (x_j − μ_j) / σ_j              σ_j population standard deviation
/// MinMax:        z_j = (x_j − min_j) / (max_j − min_j)
/// PcaWhitening:  z   = (x − μ) · U · Λ^(−1/2)
/// ```
/// A constant feature (`σ_j = 0`, `max_j = min_j`) or a zero-variance principal direction
/// (`λ ≤ 1e-12·λ_max`) is shifted but not scaled (divisor 1), so it maps to 0 instead of NaN.
/// The lecture's "before / after normalization" slides show `Standard` and `PcaWhitening`.
///
/// [`Standardizer::fit`] takes the training matrix and nothing else: the statistics cannot
/// see validation data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardizer {
    scaling: Scaling,
    /// Subtracted from each feature first (mean, or minimum).
    shift: Vec<f64>,
    /// Divisor of each feature (or of each principal component, for whitening).
    scale: Vec<f64>,
    /// For whitening: the eigenvectors `U` as columns, row-major `features × features`.
    rotation: Option<Vec<f64>>,
}

impl Standardizer {
    /// Fits the transform on `train`, of shape `[rows, features]`.
    ///
    /// # Errors
    /// [`NormError::Rank`] if `train` is not 2-D; [`NormError::Empty`] without rows;
    /// [`NormError::NonFinite`] naming the row and column of the first NaN or infinity.
    pub fn fit<E: Element>(scaling: Scaling, train: &Tensor<E>) -> Result<Self> {
        let (rows, cols) = check_matrix("Standardizer::fit", train)?;
        if rows == 0 {
            return Err(NormError::Empty {
                op: "Standardizer::fit",
            });
        }
        let x: Vec<f64> = train.as_slice().iter().map(|v| v.as_f64()).collect();
        let (mean, std, min, max) = column_stats(&x, cols);
        let (shift, scale, rotation) = match scaling {
            Scaling::Standard => (mean, std, None),
            Scaling::MinMax => {
                let range = min
                    .iter()
                    .zip(&max)
                    .map(|(lo, hi)| divisor(hi - lo))
                    .collect();
                (min, range, None)
            }
            Scaling::PcaWhitening => {
                let (u, scale) = pca_whitening(&x, &mean, cols);
                (mean, scale, Some(u))
            }
        };
        Ok(Self {
            scaling,
            shift,
            scale,
            rotation,
        })
    }

    /// Applies the fitted transform to `x` (`[rows, features]`).
    ///
    /// # Errors
    /// [`NormError::Rank`] if `x` is not 2-D; [`NormError::Shape`] for a feature count other
    /// than the training data's; [`NormError::NonFinite`] naming row and column.
    pub fn transform<E: Element>(&self, x: &Tensor<E>) -> Result<Tensor<E>> {
        let (_, cols) = self.check_input("Standardizer::transform", x)?;
        let mut z: Vec<f64> = x.as_slice().iter().map(|v| v.as_f64()).collect();
        for row in z.chunks_exact_mut(cols) {
            row.iter_mut().zip(&self.shift).for_each(|(v, s)| *v -= s);
        }
        if let Some(u) = &self.rotation {
            z = rotate_rows(&z, u, cols, false);
        }
        for row in z.chunks_exact_mut(cols) {
            row.iter_mut().zip(&self.scale).for_each(|(v, s)| *v /= s);
        }
        to_tensor(x.shape(), z)
    }

    /// Undoes [`Standardizer::transform`]: maps normalized data back to the original units.
    ///
    /// # Errors
    /// As [`Standardizer::transform`].
    pub fn inverse_transform<E: Element>(&self, z: &Tensor<E>) -> Result<Tensor<E>> {
        let (_, cols) = self.check_input("Standardizer::inverse_transform", z)?;
        let mut x: Vec<f64> = z.as_slice().iter().map(|v| v.as_f64()).collect();
        for row in x.chunks_exact_mut(cols) {
            row.iter_mut().zip(&self.scale).for_each(|(v, s)| *v *= s);
        }
        if let Some(u) = &self.rotation {
            x = rotate_rows(&x, u, cols, true);
        }
        for row in x.chunks_exact_mut(cols) {
            row.iter_mut().zip(&self.shift).for_each(|(v, s)| *v += s);
        }
        to_tensor(z.shape(), x)
    }

    /// The scaling method.
    pub fn scaling(&self) -> Scaling {
        self.scaling
    }

    /// The number of features the transform was fitted on.
    pub fn num_features(&self) -> usize {
        self.shift.len()
    }

    /// What is subtracted from each feature: the training mean (`Standard`, `PcaWhitening`)
    /// or minimum (`MinMax`).
    pub fn shift(&self) -> &[f64] {
        &self.shift
    }

    /// The divisors: per feature (`σ_j` or `max_j − min_j`) or per principal component
    /// (`√λ_k`); 1 where the spread is zero.
    pub fn scale(&self) -> &[f64] {
        &self.scale
    }

    /// For `PcaWhitening`, the principal directions `U` as the columns of a row-major
    /// `features × features` matrix.
    pub fn components(&self) -> Option<&[f64]> {
        self.rotation.as_deref()
    }

    fn check_input<E: Element>(&self, op: &'static str, x: &Tensor<E>) -> Result<(usize, usize)> {
        let (rows, cols) = check_matrix(op, x)?;
        if cols != self.num_features() {
            return Err(NormError::Shape {
                layer: op,
                expected: format!("[rows, {}]", self.num_features()),
                actual: x.shape().to_vec(),
            });
        }
        Ok((rows, cols))
    }
}

/// A zero spread divides by 1 instead.
pub(crate) fn divisor(spread: f64) -> f64 {
    if spread > 0.0 { spread } else { 1.0 }
}

/// Checks a 2-D, all-finite matrix; returns `(rows, columns)`.
fn check_matrix<E: Element>(op: &'static str, x: &Tensor<E>) -> Result<(usize, usize)> {
    let &[rows, cols] = x.shape() else {
        return Err(NormError::Rank {
            layer: op,
            expected: "a 2-D [rows, features]",
            actual: x.shape().to_vec(),
        });
    };
    if let Some(k) = x.as_slice().iter().position(|v| !v.is_finite()) {
        return Err(NormError::NonFinite {
            row: k / cols,
            column: k % cols,
            value: x.as_slice()[k].as_f64(),
        });
    }
    Ok((rows, cols))
}

/// Per column: mean, population standard deviation (divisor-safe), min, max. A constant
/// column gets its value as the mean exactly and divisor 1.
fn column_stats(x: &[f64], cols: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
    let rows = (x.len() / cols) as f64;
    let (mut mean, mut var) = (vec![0.0; cols], vec![0.0; cols]);
    let (mut min, mut max) = (vec![f64::INFINITY; cols], vec![f64::NEG_INFINITY; cols]);
    for row in x.chunks_exact(cols) {
        for (j, &v) in row.iter().enumerate() {
            mean[j] += v;
            min[j] = min[j].min(v);
            max[j] = max[j].max(v);
        }
    }
    mean.iter_mut().for_each(|m| *m /= rows);
    for row in x.chunks_exact(cols) {
        row.iter()
            .enumerate()
            .for_each(|(j, &v)| var[j] += (v - mean[j]).powi(2));
    }
    let mut std = Vec::with_capacity(cols);
    for j in 0..cols {
        if min[j] == max[j] {
            mean[j] = min[j];
            std.push(1.0);
        } else {
            std.push(divisor((var[j] / rows).sqrt()));
        }
    }
    (mean, std, min, max)
}

fn to_tensor<E: Element>(shape: &[usize], data: Vec<f64>) -> Result<Tensor<E>> {
    Ok(Tensor::from_vec(
        shape,
        data.into_iter().map(E::of).collect(),
    )?)
}
