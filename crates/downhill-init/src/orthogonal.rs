//! Random orthogonal matrices: Householder QR of a Gaussian matrix with the sign correction.

use downhill_tensor::{Element, Tensor};
use rand::{Rng, RngExt};
use rand_distr::StandardNormal;

use crate::error::Result;
use crate::init::Init;

/// A (semi-)orthogonal weight scaled by `gain` (Saxe, McClelland, Ganguli 2014, "Exact solutions
/// to the nonlinear dynamics of learning in deep linear neural networks"); PyTorch: `orthogonal_`.
///
/// The tensor is viewed as a `rows × cols` matrix with `rows = shape[0]` and `cols` the product
/// of the other dimensions. Tall matrices get orthonormal columns (`QᵀQ = gain²·I`), wide ones
/// orthonormal rows (`QQᵀ = gain²·I`).
///
/// ```text
/// A ~ N(0,1)^{rows×cols} (transposed if wide),  A = QR,  Q ← Q·diag(sign(diag R)),  W = gain·Q
/// ```
///
/// ```
/// use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
/// let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
/// let q = downhill_init::orthogonal::<f64>(&mut rng, &[3, 3], 1.0).unwrap();
/// let row0 = &q.as_slice()[..3];
/// assert!((row0.iter().map(|x| x * x).sum::<f64>() - 1.0).abs() < 1e-12);
/// ```
///
/// # Errors
///
/// Fewer than 2 dimensions, or a negative or non-finite `gain`.
pub fn orthogonal<E: Element>(rng: &mut impl Rng, shape: &[usize], gain: f64) -> Result<Tensor<E>> {
    Init::Orthogonal { gain }.sample(rng, shape)
}

/// A `rows × cols` matrix (row-major) with orthonormal columns if `rows ≥ cols`, orthonormal
/// rows otherwise, distributed uniformly (Haar), as `torch.nn.init.orthogonal_`.
///
/// ```text
/// A ~ N(0, 1)^{rows×cols}          (transposed first when rows < cols)
/// A = Q·R                          (reduced QR)
/// Q ← Q·diag(sign(diag(R)))        (makes the factorization unique, hence Q Haar-distributed)
/// ```
///
/// Mezzadri (2007), "How to generate random matrices from the classical compact groups", shows
/// that without the sign correction Q is not uniformly distributed.
pub(crate) fn orthogonal_matrix(rng: &mut impl Rng, rows: usize, cols: usize) -> Vec<f64> {
    if rows == 0 || cols == 0 {
        return Vec::new();
    }
    let (m, n) = (rows.max(cols), rows.min(cols));
    // Draw row-major rows×cols as PyTorch does, then view it as the tall m×n matrix.
    let drawn: Vec<f64> = (0..rows * cols)
        .map(|_| rng.sample::<f64, _>(StandardNormal))
        .collect();
    let tall = if rows >= cols {
        drawn
    } else {
        transpose(&drawn, rows, cols)
    };
    let q = householder_q(tall, m, n);
    if rows >= cols { q } else { transpose(&q, m, n) }
}

/// Transposes a row-major `r × c` matrix.
fn transpose(a: &[f64], r: usize, c: usize) -> Vec<f64> {
    let mut t = vec![0.0; a.len()];
    for i in 0..r {
        for j in 0..c {
            t[j * r + i] = a[i * c + j];
        }
    }
    t
}

/// The sign-corrected reduced Q (`m × n`, row-major) of a tall row-major `m × n` matrix `a`.
pub(crate) fn householder_q(mut a: Vec<f64>, m: usize, n: usize) -> Vec<f64> {
    let mut reflectors: Vec<Vec<f64>> = Vec::with_capacity(n);
    let mut signs = vec![1.0; n];
    for k in 0..n {
        let v = reflector(&a, m, n, k);
        // R[k][k] = −sign(x₀)·‖x‖ after the reflection; record its sign for the correction.
        apply_reflector(&mut a, m, n, k, &v);
        signs[k] = if a[k * n + k] < 0.0 { -1.0 } else { 1.0 };
        reflectors.push(v);
    }
    // Q = H₀·H₁·…·H_{n−1}·[I; 0], applied right to left.
    let mut q = vec![0.0; m * n];
    for j in 0..n {
        q[j * n + j] = 1.0;
    }
    for k in (0..n).rev() {
        apply_reflector(&mut q, m, n, k, &reflectors[k]);
    }
    for row in q.chunks_mut(n) {
        for (x, s) in row.iter_mut().zip(&signs) {
            *x *= s;
        }
    }
    q
}

/// The unit Householder vector `v` (length `m − k`) mapping column `k` below the diagonal onto
/// `−sign(x₀)‖x‖e₁`; zero if that column is already zero.
fn reflector(a: &[f64], m: usize, n: usize, k: usize) -> Vec<f64> {
    let mut v: Vec<f64> = (k..m).map(|i| a[i * n + k]).collect();
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm == 0.0 {
        return v;
    }
    // Adding sign(x₀)‖x‖ avoids cancellation.
    v[0] += if v[0] < 0.0 { -norm } else { norm };
    let vnorm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    v.iter_mut().for_each(|x| *x /= vnorm);
    v
}

/// `A[k.., k'..] ← (I − 2vvᵀ)·A[k.., ..]` for a row-major `m × n` matrix (columns `0..n`).
fn apply_reflector(a: &mut [f64], m: usize, n: usize, k: usize, v: &[f64]) {
    for j in 0..n {
        let dot: f64 = (k..m).map(|i| v[i - k] * a[i * n + j]).sum();
        if dot != 0.0 {
            for i in k..m {
                a[i * n + j] -= 2.0 * v[i - k] * dot;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matmul_tn(q: &[f64], m: usize, n: usize) -> Vec<f64> {
        let mut g = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                g[i * n + j] = (0..m).map(|r| q[r * n + i] * q[r * n + j]).sum();
            }
        }
        g
    }

    #[test]
    fn q_times_r_reproduces_a_and_q_is_orthonormal() {
        let a = vec![2.0, -1.0, 1.0, 3.0, 0.5, 4.0, -2.0, 1.0];
        let (m, n) = (4, 2);
        let q = householder_q(a.clone(), m, n);
        let g = matmul_tn(&q, m, n);
        for i in 0..n {
            for j in 0..n {
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((g[i * n + j] - want).abs() < 1e-14);
            }
        }
        // R = QᵀA must be upper triangular with a positive diagonal.
        for i in 0..n {
            for j in 0..n {
                let r: f64 = (0..m).map(|row| q[row * n + i] * a[row * n + j]).sum();
                if i > j {
                    assert!(r.abs() < 1e-13, "R[{i}][{j}] = {r}");
                }
                if i == j {
                    assert!(r > 0.0);
                }
            }
        }
    }
}
