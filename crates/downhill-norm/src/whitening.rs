//! PCA whitening's pieces: the covariance, its eigenvectors, the rotation.

use crate::standardizer::divisor;
use crate::symmetric_eigen;

/// The eigenvectors `U` (columns, row-major) of the population covariance of `x` (rows of
/// `cols` values, centred by `mean`) and the whitening divisors `√λ_k` (1 for
/// `λ_k ≤ 1e-12·λ_max`).
pub(crate) fn pca_whitening(x: &[f64], mean: &[f64], cols: usize) -> (Vec<f64>, Vec<f64>) {
    let rows = (x.len() / cols) as f64;
    let mut cov = vec![0.0; cols * cols];
    let mut centred = vec![0.0; cols];
    for row in x.chunks_exact(cols) {
        centred
            .iter_mut()
            .zip(row.iter().zip(mean))
            .for_each(|(c, (v, m))| *c = v - m);
        for i in 0..cols {
            for j in i..cols {
                cov[i * cols + j] += centred[i] * centred[j];
            }
        }
    }
    for i in 0..cols {
        for j in i..cols {
            cov[i * cols + j] /= rows;
            cov[j * cols + i] = cov[i * cols + j];
        }
    }
    let eig = symmetric_eigen(&cov, cols);
    let top = eig.values.first().copied().unwrap_or(0.0).max(0.0);
    let scale = eig
        .values
        .iter()
        .map(|&l| {
            if l > 1e-12 * top {
                divisor(l.sqrt())
            } else {
                1.0
            }
        })
        .collect();
    (eig.vectors, scale)
}

/// Each row times `U` (`inverse == false`) or times `Uᵀ` (`inverse == true`).
pub(crate) fn rotate_rows(x: &[f64], u: &[f64], cols: usize, inverse: bool) -> Vec<f64> {
    let mut out = vec![0.0; x.len()];
    for (orow, xrow) in out.chunks_exact_mut(cols).zip(x.chunks_exact(cols)) {
        for (k, o) in orow.iter_mut().enumerate() {
            *o = xrow
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    v * if inverse {
                        u[k * cols + i]
                    } else {
                        u[i * cols + k]
                    }
                })
                .sum();
        }
    }
    out
}
