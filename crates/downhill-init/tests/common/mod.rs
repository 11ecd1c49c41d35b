//! Statistics helpers shared by the integration tests.
#![allow(dead_code)]

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

/// A fixed-seed generator.
pub fn rng(seed: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed)
}

/// Sample mean, (population) variance and fourth central moment.
pub fn moments(xs: &[f64]) -> (f64, f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let m4 = xs.iter().map(|x| (x - mean).powi(4)).sum::<f64>() / n;
    (mean, var, m4)
}

/// Asserts the sample mean lies within 5 standard errors `5·σ/√n` of `mean` and the sample
/// variance within 5 standard errors `5·√((m₄ − σ⁴)/n)` of `std²`.
pub fn assert_mean_and_std(xs: &[f64], mean: f64, std: f64, label: &str) {
    let n = xs.len() as f64;
    let (m, var, m4) = moments(xs);
    let se_mean = std / n.sqrt();
    assert!(
        (m - mean).abs() <= 5.0 * se_mean + 1e-15,
        "{label}: mean {m} vs {mean} (5 SE = {})",
        5.0 * se_mean
    );
    assert_var(var, m4, n, std, label);
}

/// Asserts a variance `var` (with fourth moment `m4`, from `n` draws) is within 5 SE of `std²`.
pub fn assert_var(var: f64, m4: f64, n: f64, std: f64, label: &str) {
    let se_var = ((m4 - var * var).max(0.0) / n).sqrt();
    assert!(
        (var - std * std).abs() <= 5.0 * se_var + 1e-15,
        "{label}: variance {var} vs {} (5 SE = {})",
        std * std,
        5.0 * se_var
    );
}

/// Converts a tensor's entries to f64.
pub fn to_f64<E: downhill_tensor::Element>(t: &downhill_tensor::Tensor<E>) -> Vec<f64> {
    t.as_slice().iter().map(|x| x.as_f64()).collect()
}

/// `max |QᵀQ − I|` (tall) or `max |QQᵀ − I|` (wide) for a row-major `rows × cols` matrix
/// divided by `gain`.
pub fn orthonormality_error(q: &[f64], rows: usize, cols: usize, gain: f64) -> f64 {
    let (k, len, stride_k, stride_i) = if rows >= cols {
        (cols, rows, 1, cols)
    } else {
        (rows, cols, cols, 1)
    };
    let mut worst: f64 = 0.0;
    for a in 0..k {
        for b in 0..k {
            let dot: f64 = (0..len)
                .map(|i| q[a * stride_k + i * stride_i] * q[b * stride_k + i * stride_i])
                .sum();
            let want = if a == b { 1.0 } else { 0.0 };
            worst = worst.max((dot / (gain * gain) - want).abs());
        }
    }
    worst
}
