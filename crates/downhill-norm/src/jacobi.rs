//! The symmetric eigendecomposition by cyclic Jacobi rotations, in f64 (for PCA whitening).

/// Eigenvalues and eigenvectors of a symmetric matrix: `A = V · diag(values) · Vᵀ`.
#[derive(Debug, Clone, PartialEq)]
pub struct SymmetricEigen {
    /// The eigenvalues, in decreasing order.
    pub values: Vec<f64>,
    /// The orthonormal eigenvectors as the *columns* of a row-major `dim × dim` matrix: the
    /// `k`-th eigenvector is `vectors[i·dim + k]` for `i` in `0..dim`.
    pub vectors: Vec<f64>,
    /// The matrix's order.
    pub dim: usize,
}

/// The eigendecomposition of the symmetric row-major `dim × dim` matrix `a` (only its upper
/// triangle matters in exact arithmetic; pass a symmetric matrix).
///
/// Cyclic Jacobi (Jacobi 1846; Golub & Van Loan, *Matrix Computations*, §8.5): each rotation
///
/// ```text
/// θ = (a_qq − a_pp) / (2·a_pq)     t = sign(θ) / (|θ| + √(θ² + 1))
/// c = 1/√(t² + 1)                  s = t·c
/// A := Jᵀ A J,   V := V J          (J the rotation in the (p, q) plane)
/// ```
/// zeroes `a_pq`; sweeps over all pairs repeat until the off-diagonal mass is negligible
/// (convergence is quadratic). Accurate to a few ulps of `‖A‖` for the small covariance
/// matrices of data normalization; `O(dim³)` per sweep.
///
/// ```
/// use downhill_norm::symmetric_eigen;
/// let e = symmetric_eigen(&[2.0, 1.0, 1.0, 2.0], 2);
/// assert!((e.values[0] - 3.0).abs() < 1e-12 && (e.values[1] - 1.0).abs() < 1e-12);
/// ```
///
/// # Panics
/// If `a.len() != dim * dim`.
pub fn symmetric_eigen(a: &[f64], dim: usize) -> SymmetricEigen {
    assert_eq!(a.len(), dim * dim, "symmetric_eigen: a is not dim × dim");
    let mut m = a.to_vec();
    let mut v = vec![0.0; dim * dim];
    (0..dim).for_each(|i| v[i * dim + i] = 1.0);
    let total: f64 = m.iter().map(|x| x * x).sum();
    for _sweep in 0..100 {
        let off: f64 = (0..dim)
            .flat_map(|p| (0..dim).filter(move |&q| q != p).map(move |q| (p, q)))
            .map(|(p, q)| m[p * dim + q] * m[p * dim + q])
            .sum();
        if off <= 1e-30 * total || off == 0.0 {
            break;
        }
        for p in 0..dim {
            for q in p + 1..dim {
                rotate(&mut m, &mut v, dim, p, q);
            }
        }
    }
    sorted(m, v, dim)
}

/// One Jacobi rotation zeroing `m[p][q]`.
fn rotate(m: &mut [f64], v: &mut [f64], n: usize, p: usize, q: usize) {
    let apq = m[p * n + q];
    if apq == 0.0 {
        return;
    }
    let theta = (m[q * n + q] - m[p * n + p]) / (2.0 * apq);
    let t = if theta.abs() > 1e150 {
        0.5 / theta
    } else {
        theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt())
    };
    let c = 1.0 / (t * t + 1.0).sqrt();
    let s = t * c;
    for k in 0..n {
        let (kp, kq) = (m[k * n + p], m[k * n + q]);
        m[k * n + p] = c * kp - s * kq;
        m[k * n + q] = s * kp + c * kq;
    }
    for k in 0..n {
        let (pk, qk) = (m[p * n + k], m[q * n + k]);
        m[p * n + k] = c * pk - s * qk;
        m[q * n + k] = s * pk + c * qk;
    }
    for k in 0..n {
        let (kp, kq) = (v[k * n + p], v[k * n + q]);
        v[k * n + p] = c * kp - s * kq;
        v[k * n + q] = s * kp + c * kq;
    }
}

/// Orders the eigenpairs by decreasing eigenvalue.
fn sorted(m: Vec<f64>, v: Vec<f64>, n: usize) -> SymmetricEigen {
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| m[j * n + j].total_cmp(&m[i * n + i]));
    let values = order.iter().map(|&i| m[i * n + i]).collect();
    let mut vectors = vec![0.0; n * n];
    for (k, &src) in order.iter().enumerate() {
        for i in 0..n {
            vectors[i * n + k] = v[i * n + src];
        }
    }
    SymmetricEigen {
        values,
        vectors,
        dim: n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconstructs_a_symmetric_matrix_with_orthonormal_vectors() {
        let n = 5;
        let a: Vec<f64> = (0..n * n)
            .map(|k| {
                let (i, j) = (k / n, k % n);
                ((i * j) as f64 + 1.0).sin()
                    + ((i + j) as f64).cos()
                    + if i == j { 3.0 } else { 0.0 }
            })
            .collect();
        let e = symmetric_eigen(&a, n);
        for i in 0..n {
            for j in 0..n {
                let rec: f64 = (0..n)
                    .map(|k| e.vectors[i * n + k] * e.values[k] * e.vectors[j * n + k])
                    .sum();
                assert!((rec - a[i * n + j]).abs() < 1e-12, "A[{i}][{j}]");
                let dot: f64 = (0..n)
                    .map(|k| e.vectors[k * n + i] * e.vectors[k * n + j])
                    .sum();
                assert!(
                    (dot - f64::from(u8::from(i == j))).abs() < 1e-12,
                    "VᵀV[{i}][{j}]"
                );
            }
        }
        assert!(e.values.windows(2).all(|w| w[0] >= w[1]));
    }

    #[test]
    fn diagonal_and_singular_matrices() {
        let e = symmetric_eigen(&[1.0, 0.0, 0.0, 4.0], 2);
        assert_eq!(e.values, vec![4.0, 1.0]);
        let e = symmetric_eigen(&[1.0, 1.0, 1.0, 1.0], 2);
        assert!((e.values[0] - 2.0).abs() < 1e-15 && e.values[1].abs() < 1e-15);
    }
}
