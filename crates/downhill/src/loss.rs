//! Classification losses on logits.

use downhill_autograd::{Reduction, Tape, Var};
use downhill_tensor::{Element, Tensor};

use crate::{Error, Result};

/// A loss between logits `[N, C]` and integer labels, selectable by name.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Loss {
    /// Softmax cross-entropy (PyTorch's `CrossEntropyLoss`), optionally with label smoothing.
    ///
    /// ```text
    /// ℓ = mean_n [ (1−ε)(−log p_{n,y_n}) + ε·mean_j(−log p_{n,j}) ],   p = softmax(z)
    /// ```
    CrossEntropy {
        /// Label smoothing `ε ∈ [0, 1]` (0 = none).
        #[serde(default)]
        label_smoothing: f64,
    },
    /// Mean squared error against one-hot targets (`MSELoss` on `one_hot(y)`).
    Mse,
    /// Binary cross-entropy with logits against one-hot targets (`BCEWithLogitsLoss`):
    ///
    /// ```text
    /// ℓ = mean_{n,j} [ softplus(z_{nj}) − z_{nj}·t_{nj} ]
    /// ```
    BceWithLogits,
    /// The lecture's multiclass hinge (SVM) loss, averaged over the batch:
    ///
    /// ```text
    /// ℓ = mean_n Σ_{j≠y_n} max(0, z_{nj} − z_{n,y_n} + 1)
    /// ```
    /// PyTorch's `MultiMarginLoss` additionally divides by the number of classes `C`.
    MultiHinge,
}

impl Default for Loss {
    fn default() -> Self {
        Loss::CrossEntropy {
            label_smoothing: 0.0,
        }
    }
}

impl Loss {
    /// The names [`Loss::from_name`] accepts.
    pub const NAMES: [&'static str; 4] = ["cross_entropy", "mse", "bce_with_logits", "multi_hinge"];

    /// Parses a name.
    ///
    /// # Errors
    /// [`Error::Config`] for an unknown name, listing the valid ones.
    pub fn from_name(name: &str) -> Result<Self> {
        Ok(match name {
            "cross_entropy" => Loss::default(),
            "mse" => Loss::Mse,
            "bce_with_logits" => Loss::BceWithLogits,
            "multi_hinge" | "hinge" => Loss::MultiHinge,
            _ => {
                return Err(Error::config(
                    "loss",
                    format!(
                        "unknown {name:?}; expected one of {}",
                        Self::NAMES.join(", ")
                    ),
                ));
            }
        })
    }

    /// Records the mean loss of `logits` against `labels` on the tape.
    ///
    /// # Errors
    /// Logits that are not `[N, C]`, not one label per row, or a label `>= C`.
    pub fn compute<E: Element>(
        &self,
        tape: &mut Tape<E>,
        logits: Var,
        labels: &[usize],
    ) -> Result<Var> {
        let shape = tape.value(logits)?.shape().to_vec();
        if shape.len() != 2 || shape[0] != labels.len() {
            return Err(Error::Data(format!(
                "loss: logits of shape {shape:?} for {} labels; expected [N, C]",
                labels.len()
            )));
        }
        let (n, c) = (shape[0], shape[1]);
        if let Some((row, &y)) = labels.iter().enumerate().find(|&(_, &y)| y >= c) {
            return Err(Error::Data(format!(
                "loss: label {y} at row {row} is not below the class count {c}"
            )));
        }
        Ok(match *self {
            Loss::CrossEntropy { label_smoothing } => tape.cross_entropy_smoothed(
                logits,
                labels,
                Reduction::Mean,
                E::of(label_smoothing),
            )?,
            Loss::Mse => {
                let t = tape.constant(one_hot(labels, c));
                tape.mse(logits, t, Reduction::Mean)?
            }
            Loss::BceWithLogits => {
                let t = tape.constant(one_hot(labels, c));
                let sp = tape.softplus(logits)?;
                let zt = tape.mul(logits, t)?;
                let d = tape.sub(sp, zt)?;
                tape.mean(d)?
            }
            Loss::MultiHinge => {
                let fy = tape.pick(logits, labels)?;
                let fy = tape.reshape(fy, &[n, 1])?;
                let diff = tape.sub(logits, fy)?;
                let m = tape.add_scalar(diff, E::one())?;
                let h = tape.relu(m)?;
                let s = tape.sum(h)?;
                // Each j = y term contributes max(0, 1) = 1: remove them.
                let s = tape.add_scalar(s, -E::of_usize(n))?;
                tape.scale(s, E::one() / E::of_usize(n.max(1)))?
            }
        })
    }
}

/// One-hot rows `[N, C]` for labels in `0..C`.
pub fn one_hot<E: Element>(labels: &[usize], classes: usize) -> Tensor<E> {
    let mut t = Tensor::zeros(&[labels.len(), classes]);
    let s = t.as_mut_slice();
    labels
        .iter()
        .enumerate()
        .for_each(|(i, &y)| s[i * classes + y] = E::one());
    t
}
