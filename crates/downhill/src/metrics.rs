//! Classification metrics computed from logits (or scores) and labels.

use downhill_tensor::{Element, Tensor};

use crate::{Error, Result};

fn check<E: Element>(scores: &Tensor<E>, labels: &[usize]) -> Result<(usize, usize)> {
    if scores.ndim() != 2 || scores.shape()[0] != labels.len() {
        return Err(Error::Data(format!(
            "metrics: scores of shape {:?} for {} labels; expected [N, C]",
            scores.shape(),
            labels.len()
        )));
    }
    let c = scores.shape()[1];
    if let Some((row, &y)) = labels.iter().enumerate().find(|&(_, &y)| y >= c) {
        return Err(Error::Data(format!(
            "metrics: label {y} at row {row} is not below the class count {c}"
        )));
    }
    Ok((scores.shape()[0], c))
}

/// The predicted class of each row: the index of its largest score (first on ties).
///
/// # Errors
/// [`Error::Data`] for scores that are not 2-D.
pub fn predictions<E: Element>(scores: &Tensor<E>) -> Result<Vec<usize>> {
    if scores.ndim() != 2 {
        return Err(Error::Data(format!(
            "predictions: scores of shape {:?}; expected [N, C]",
            scores.shape()
        )));
    }
    Ok(scores.argmax(1)?.iter().copied().collect())
}

/// The fraction of rows whose largest score is at the label.
///
/// # Errors
/// [`Error::Data`] when the shapes do not fit.
pub fn accuracy<E: Element>(scores: &Tensor<E>, labels: &[usize]) -> Result<f64> {
    top_k_accuracy(scores, labels, 1)
}

/// The fraction of rows whose label is among the `k` largest scores (ties broken by index).
///
/// # Errors
/// [`Error::Data`] when the shapes do not fit; [`Error::Config`] for `k = 0`.
pub fn top_k_accuracy<E: Element>(scores: &Tensor<E>, labels: &[usize], k: usize) -> Result<f64> {
    let (n, c) = check(scores, labels)?;
    if k == 0 {
        return Err(Error::config("k", "top-k accuracy needs k >= 1"));
    }
    if n == 0 {
        return Ok(0.0);
    }
    let hits = scores
        .as_slice()
        .chunks_exact(c.max(1))
        .zip(labels)
        .filter(|(row, y)| {
            let sy = row[**y];
            // Rank of the label: how many classes score strictly higher, or equal with a lower index.
            let rank = row
                .iter()
                .enumerate()
                .filter(|&(j, &s)| s > sy || (s == sy && j < **y))
                .count();
            rank < k
        })
        .count();
    Ok(hits as f64 / n as f64)
}

/// A confusion matrix: `counts[true][predicted]`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConfusionMatrix {
    /// Rows are true classes, columns predicted classes.
    pub counts: Vec<Vec<usize>>,
}

impl ConfusionMatrix {
    /// Counts predictions (argmax of `scores`) against labels.
    ///
    /// # Errors
    /// [`Error::Data`] when the shapes do not fit.
    pub fn from_scores<E: Element>(scores: &Tensor<E>, labels: &[usize]) -> Result<Self> {
        let (_, c) = check(scores, labels)?;
        let mut counts = vec![vec![0; c]; c];
        for (p, &y) in predictions(scores)?.into_iter().zip(labels) {
            counts[y][p] += 1;
        }
        Ok(Self { counts })
    }

    /// The overall accuracy (trace over total).
    pub fn accuracy(&self) -> f64 {
        let total: usize = self.counts.iter().flatten().sum();
        let diag: usize = (0..self.counts.len()).map(|i| self.counts[i][i]).sum();
        if total == 0 {
            0.0
        } else {
            diag as f64 / total as f64
        }
    }

    /// Per-class recall (diagonal over row sums; 0 for an empty row).
    pub fn recall(&self) -> Vec<f64> {
        self.counts
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let s: usize = row.iter().sum();
                if s == 0 {
                    0.0
                } else {
                    row[i] as f64 / s as f64
                }
            })
            .collect()
    }
}
