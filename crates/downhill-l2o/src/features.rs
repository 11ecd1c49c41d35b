//! The per-parameter input features of the learned optimizer, and the accumulators behind them.
//!
//! Every scalar parameter `p` with gradient `g` at step `t` (1-based, counted per tensor) is
//! described by [`NUM_FEATURES`] numbers, in the order of [`FEATURE_NAMES`]:
//!
//! ```text
//! accumulators (updated before the features are read, as in Adam):
//!   m_β   ← β·m_β + (1−β)·g                 β ∈ {0.5, 0.9, 0.99}
//!   r     ← √(β₂·r² + (1−β₂)·g²)            β₂ = 0.999   (the RMS, stored as a root so that
//!                                                          |g| up to 1e30 fits in f32 state)
//!   m̂_β = m_β / (1−βᵗ),  r̂ = r / √(1−β₂ᵗ)   (bias correction)
//!
//! features 0–4   tensor-normalized  g, m_0.5, m_0.9, m_0.99, p       x / rms_tensor(x)
//! features 5–8   Adam-like ratios    clamp(g/r̂, ±10), clamp(m̂_β/r̂, ±10) for each β
//! features 9–10  signs               sign(g), sign(m_0.9)
//! features 11–16 time                tanh(t/τ) for τ ∈ {3, 10, 30, 100, 300, 1000}
//! features 17–18 log-magnitudes       λ(|g|/r̂), λ(|m̂_0.9|/r̂)
//! feature  19    tensor progress      λ(rms_tensor(g) / rms_tensor(r̂))
//! feature  20    parameter scale      λ(rms_tensor(p))
//!
//!   λ(v) = clamp(ln v, −20, 3) / 10      (λ(0) = −2)
//! ```
//!
//! A network with [`EXTENDED_FEATURES`] inputs also reads three tensor-level (or global)
//! oscillation features, the same for every coordinate of a tensor, appended as columns 21–23
//! ([`OSCILLATION_FEATURE_NAMES`]):
//!
//! ```text
//! feature  21    reversal             c_t = cos(g_t, m_0.5,t−1)       (0 when either is zero)
//! feature  22    reversal average     c̄_t / (1 − 0.9ᵗ),  c̄_t = 0.9·c̄_{t−1} + 0.1·c_t, c̄₀ = 0
//! feature  23    loss change          (L_t − a_{t−1}) / (|L_t| + |a_{t−1}|)   ∈ [−1, 1]
//!                                     (L_t the loss told by Optimizer::observe_loss before the
//!                                      step, a the running average of the losses before it;
//!                                      0 until two losses were observed, or both zero)
//! ```
//!
//! They are the signals behind the step rules of [`LearnedNet`](crate::LearnedNet) (the
//! reversal shrink tests `c_t < 0`, the loss shrink `L_t > a_{t−1}`), given to the network as
//! inputs so that meta-training can decide how much to react to them, rather than fixed rules:
//! a tensor whose gradient keeps reversing against its momentum (a mean cosine near −1)
//! oscillates across a valley, which no per-coordinate feature shows.
//!
//! The log-magnitudes tell the network how small the gradient has become relative to its own
//! history, on a scale where 1e-2 and 1e-4 differ (in the ratios 5–8 both are ≈ 0); feature 19
//! is the same for the whole tensor, so the network can tell "this tensor has converged by a
//! factor 100" from "this coordinate is momentarily small". Feature 20 is the one input that is
//! not scale-free: the parameters' own scale, which Adafactor ("relative step size") and
//! LARS/LAMB use to size steps; for a layer it is about `1/√fan_in` at initialization, so it
//! tells a 64-input layer from a 4-input one.
//!
//! `rms_tensor(x) = √(mean over the tensor of x²)` (Metz et al. 2022 normalize every input by
//! its second moment over the tensor), computed after scaling by `max |x|` so that it neither
//! overflows nor underflows; a tensor of zeros gives zero features. Every feature is therefore
//! finite and bounded for any finite gradient: the inputs are scale-free, which is what lets one
//! network step parameters of any scale (the Adam ratios are invariant to rescaling `g` too).

use downhill_tensor::ndarray::{Array2, ArrayViewMut1};

/// The number of base input features per scalar parameter (every network reads them).
pub const NUM_FEATURES: usize = 21;

/// The number of oscillation features a network with [`EXTENDED_FEATURES`] inputs appends.
pub const NUM_OSCILLATION_FEATURES: usize = 3;

/// The number of inputs of a network that also reads the oscillation features (21 + 3).
pub const EXTENDED_FEATURES: usize = NUM_FEATURES + NUM_OSCILLATION_FEATURES;

/// The oscillation features' names, in input order after [`FEATURE_NAMES`].
pub const OSCILLATION_FEATURE_NAMES: [&str; NUM_OSCILLATION_FEATURES] =
    ["cos(g,m_0.5_prev)", "ema_0.9(cos)", "loss_change"];

/// The decay of the running reversal average `c̄` (feature 22).
pub const COS_AVERAGE_DECAY: f64 = 0.9;

/// The features' names, in input order.
pub const FEATURE_NAMES: [&str; NUM_FEATURES] = [
    "g/rms(g)",
    "m_0.5/rms(m_0.5)",
    "m_0.9/rms(m_0.9)",
    "m_0.99/rms(m_0.99)",
    "p/rms(p)",
    "clamp(g/r_hat)",
    "clamp(m_hat_0.5/r_hat)",
    "clamp(m_hat_0.9/r_hat)",
    "clamp(m_hat_0.99/r_hat)",
    "sign(g)",
    "sign(m_0.9)",
    "tanh(t/3)",
    "tanh(t/10)",
    "tanh(t/30)",
    "tanh(t/100)",
    "tanh(t/300)",
    "tanh(t/1000)",
    "logmag(g/r_hat)",
    "logmag(m_hat_0.9/r_hat)",
    "logmag(rms(g)/rms(r_hat))",
    "logmag(rms(p))",
];

/// The momentum decay rates β of the first-moment accumulators `m_β`.
pub const MOMENTUM_BETAS: [f64; 3] = [0.5, 0.9, 0.99];

/// The decay rate β₂ of the RMS accumulator `r`.
pub const RMS_BETA: f64 = 0.999;

/// The time scales τ of the `tanh(t/τ)` step-count features.
pub const TIME_SCALES: [f64; 6] = [3.0, 10.0, 30.0, 100.0, 300.0, 1000.0];

/// The index of the feature `clamp(m̂_0.9/r̂)`, Adam's update direction.
pub const ADAM_DIRECTION_FEATURE: usize = 7;

/// The index of the first Adam-like ratio feature `clamp(g/r̂)`; the four ratios
/// `g, m̂_0.5, m̂_0.9, m̂_0.99` over `r̂` are features `RATIO_FEATURES..RATIO_FEATURES + 4`.
pub const RATIO_FEATURES: usize = 5;

/// Bound on the Adam-like ratio features.
const RATIO_CLAMP: f64 = 10.0;

/// The accumulators of one parameter tensor, in `f64` for the duration of a step.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Accumulators {
    /// `m_β` for each β of [`MOMENTUM_BETAS`].
    pub m: [Vec<f64>; 3],
    /// The RMS `r`.
    pub r: Vec<f64>,
}

impl Accumulators {
    /// Advances every accumulator with the gradient `g`.
    pub fn update(&mut self, g: &[f64]) {
        for (m, beta) in self.m.iter_mut().zip(MOMENTUM_BETAS) {
            for (mi, &gi) in m.iter_mut().zip(g) {
                *mi = beta * *mi + (1.0 - beta) * gi;
            }
        }
        let (a, b) = (RMS_BETA.sqrt(), (1.0 - RMS_BETA).sqrt());
        for (ri, &gi) in self.r.iter_mut().zip(g) {
            *ri = (a * *ri).hypot(b * gi);
        }
    }
}

/// `x / rms(x)` written into a column, zeros for a zero tensor.
fn normalized_into(x: &[f64], mut out: ArrayViewMut1<'_, f64>) {
    let scale = x.iter().fold(0.0f64, |s, v| s.max(v.abs()));
    if scale == 0.0 {
        out.fill(0.0);
        return;
    }
    let ms = x.iter().map(|v| (v / scale).powi(2)).sum::<f64>() / x.len() as f64;
    let rms = scale * ms.sqrt();
    for (o, v) in out.iter_mut().zip(x) {
        *o = v / rms;
    }
}

/// `λ(v) = clamp(ln v, −20, 3) / 10` for `v ≥ 0` (`λ(0) = −2`).
fn log_magnitude(v: f64) -> f64 {
    if v > 0.0 {
        v.ln().clamp(-20.0, 3.0) / 10.0
    } else {
        -2.0
    }
}

/// `√(mean x²)` computed without overflow or underflow.
fn rms(x: &[f64]) -> f64 {
    let scale = x.iter().fold(0.0f64, |s, v| s.max(v.abs()));
    if scale == 0.0 {
        return 0.0;
    }
    scale * (x.iter().map(|v| (v / scale).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
}

fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// The `[n, NUM_FEATURES + extra.len()]` feature matrix of one tensor at step `t ≥ 1`, from
/// its values `p`, gradient `g` and the accumulators already updated with `g`; the values of
/// `extra` (tensor-level features) fill the last columns, the same in every row.
pub(crate) fn feature_matrix(
    p: &[f64],
    g: &[f64],
    acc: &Accumulators,
    t: u64,
    extra: &[f64],
) -> Array2<f64> {
    let n = p.len();
    let mut x = Array2::<f64>::zeros((n, NUM_FEATURES + extra.len()));
    normalized_into(g, x.column_mut(0));
    for k in 0..3 {
        normalized_into(&acc.m[k], x.column_mut(1 + k));
    }
    normalized_into(p, x.column_mut(4));
    let tf = t as f64;
    let r_corr = (1.0 - RMS_BETA.powf(tf)).sqrt();
    let m_corr: Vec<f64> = MOMENTUM_BETAS.iter().map(|b| 1.0 - b.powf(tf)).collect();
    let time: Vec<f64> = TIME_SCALES.iter().map(|s| (tf / s).tanh()).collect();
    // rms(r̂) = rms(r) / r_corr; a ratio of RMSs of the same scale, so no overflow.
    let (rg, rr) = (rms(g), rms(&acc.r) / r_corr);
    let progress = if rr > 0.0 {
        log_magnitude(rg / rr)
    } else {
        -2.0
    };
    let p_scale = log_magnitude(rms(p));
    for (i, mut row) in x.rows_mut().into_iter().enumerate() {
        let r_hat = acc.r[i] / r_corr;
        let ratio = |v: f64| {
            if r_hat > 0.0 {
                (v / r_hat).clamp(-RATIO_CLAMP, RATIO_CLAMP)
            } else {
                0.0
            }
        };
        row[5] = ratio(g[i]);
        for k in 0..3 {
            row[6 + k] = ratio(acc.m[k][i] / m_corr[k]);
        }
        row[9] = sign(g[i]);
        row[10] = sign(acc.m[1][i]);
        for (k, v) in time.iter().enumerate() {
            row[11 + k] = *v;
        }
        let rel = |v: f64| {
            if r_hat > 0.0 {
                log_magnitude(v.abs() / r_hat)
            } else {
                -2.0
            }
        };
        row[17] = rel(g[i]);
        row[18] = rel(acc.m[1][i] / m_corr[1]);
        row[19] = progress;
        row[20] = p_scale;
        for (k, v) in extra.iter().enumerate() {
            row[NUM_FEATURES + k] = *v;
        }
    }
    x
}

/// `⟨a, b⟩ / (|a|·|b|)`, 0 when either is zero; computed after scaling each by its largest
/// magnitude, so neither overflows nor underflows.
pub(crate) fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let sa = a.iter().fold(0.0f64, |s, v| s.max(v.abs()));
    let sb = b.iter().fold(0.0f64, |s, v| s.max(v.abs()));
    if sa == 0.0 || sb == 0.0 {
        return 0.0;
    }
    let (mut dot, mut na, mut nb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (x / sa, y / sb);
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    (dot / (na.sqrt() * nb.sqrt())).clamp(-1.0, 1.0)
}

/// The loss change `(L − a) / (|L| + |a|)` of feature 23 (0 when both are zero).
pub(crate) fn loss_change(loss: f64, average: f64) -> f64 {
    let d = loss.abs() + average.abs();
    if d > 0.0 { (loss - average) / d } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acc(n: usize) -> Accumulators {
        Accumulators {
            m: [vec![0.0; n], vec![0.0; n], vec![0.0; n]],
            r: vec![0.0; n],
        }
    }

    #[test]
    fn first_step_ratios_are_signs_as_in_adam() {
        let g = [2.0, -0.5, 0.0];
        let mut a = acc(3);
        a.update(&g);
        let x = feature_matrix(&[1.0, 1.0, 1.0], &g, &a, 1, &[]);
        for k in 5..9 {
            let col: Vec<f64> = x.column(k).to_vec();
            assert!((col[0] - 1.0).abs() < 1e-12 && (col[1] + 1.0).abs() < 1e-12);
            assert_eq!(col[2], 0.0);
        }
        assert!((x[[0, 11]] - (1.0f64 / 3.0).tanh()).abs() < 1e-15);
        // |g| = r̂ at step 1: log-magnitude 0; a zero gradient is at the floor.
        for k in [17, 18] {
            assert!(x[[0, k]].abs() < 1e-12 && x[[1, k]].abs() < 1e-12);
            assert_eq!(x[[2, k]], -2.0);
        }
        assert!(x[[0, 19]].abs() < 1e-12);
    }

    #[test]
    fn log_magnitudes_track_a_shrinking_gradient() {
        let mut a = acc(2);
        let big = [1.0, -1.0];
        for _ in 0..10 {
            a.update(&big);
        }
        let small = [1e-3, -1e-3];
        a.update(&small);
        let x = feature_matrix(&[0.0, 0.0], &small, &a, 11, &[]);
        // |g|/r̂ ≈ 1e-3 → ln ≈ −6.9 → feature ≈ −0.69, for the coordinate and the tensor.
        for k in [17, 19] {
            assert!(
                (x[[0, k]] + 0.69).abs() < 0.01,
                "feature {k}: {}",
                x[[0, k]]
            );
        }
    }

    #[test]
    fn features_are_scale_free() {
        let g = [3.0, -1.0, 0.25, 7.0];
        let p = [0.1, 0.2, -0.3, 0.4];
        let run = |s: f64| {
            let gs: Vec<f64> = g.iter().map(|v| v * s).collect();
            let mut a = acc(4);
            a.update(&gs);
            a.update(&gs);
            feature_matrix(&p, &gs, &a, 2, &[])
        };
        let (x1, x2) = (run(1.0), run(1e-20));
        for (a, b) in x1.iter().zip(x2.iter()) {
            assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        }
    }
}
