//! The per-unroll meta-objectives and the soft maximum that aggregates them.

/// The bound on each per-step term of the meta-objective (a diverging run costs this much).
pub(super) const LOG_RATIO_MAX: f64 = 3.0;

/// The score used to select among iterates: the clamped log loss ratio at the end of the
/// unroll, which is what an equal-budget comparison measures (aggregated over the validation
/// tasks like [`meta_loss`](super::meta_loss): regret against Adam, soft maximum).
///
/// ```text
/// F = clamp(ln(L_T / L_0), floor, 3)          (non-finite L_T → 3)
/// ```
pub fn final_objective(losses: &[f64], floor: f64) -> f64 {
    let r = (losses[losses.len() - 1] / losses[0]).ln();
    if r.is_nan() {
        LOG_RATIO_MAX
    } else {
        r.clamp(floor, LOG_RATIO_MAX)
    }
}

/// `τ·ln(mean exp(vᵢ/τ))` (computed stably), or the plain mean for `τ = 0`.
pub fn soft_max_mean(values: &[f64], tau: f64) -> f64 {
    let n = values.len() as f64;
    if tau == 0.0 {
        return values.iter().sum::<f64>() / n;
    }
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    max + tau * (values.iter().map(|v| ((v - max) / tau).exp()).sum::<f64>() / n).ln()
}

/// The meta-objective of one unroll: half a step-weighted mean of the clamped log loss ratio,
/// half its final value.
///
/// ```text
/// ℓ_t = clamp(ln(L_t / L_0), floor, 3)                                 (non-finite L_t → 3)
/// J   = ½ · Σ_{t=1..T} t · ℓ_t / Σ_{t=1..T} t  +  ½ · ℓ_T
/// ```
///
/// Normalizing by `L_0` puts quadratics and MLPs on one scale; averaging over the unroll
/// rewards fast progress, not only the end point (Metz et al. 2020 use the mean loss), and the
/// weight `t` and the final term lean towards the end, which is what an equal-budget comparison
/// scores (with equal weights the first runs learned to rush early and stall on quadratics;
/// with the weight `t` alone, a network faster than Adam for 60 steps and slower after still
/// scored as better).
///
/// `floor` is [`MetaTrainConfig::floor`](super::MetaTrainConfig::floor) (−16 by default: a loss reduced by a factor 10⁷
/// counts as solved; with −30 the small MLPs on blobs, which reach 1e-10, kept earning credit
/// that the hard tasks needed).
pub fn meta_objective(losses: &[f64], floor: f64) -> f64 {
    meta_objective_weighted(losses, floor, 0.5)
}

/// [`meta_objective`] with weight `w` on the final term instead of ½:
///
/// ```text
/// J_w = (1 − w) · Σ_{t=1..T} t · ℓ_t / Σ_{t=1..T} t  +  w · ℓ_T
/// ```
///
/// `w = 1` scores only the end point, which is what the equal-budget comparison measures; a
/// run that is ahead of Adam for most of the unroll and then stalls or spikes above it near
/// the end (the tail of the held-out evaluation) earns less credit for its early lead.
pub fn meta_objective_weighted(losses: &[f64], floor: f64, w: f64) -> f64 {
    let l0 = losses[0];
    let terms = losses[1..].iter().enumerate().map(|(i, &l)| {
        let r = (l / l0).ln();
        let r = if r.is_nan() {
            LOG_RATIO_MAX
        } else {
            r.clamp(floor, LOG_RATIO_MAX)
        };
        (i + 1) as f64 * r
    });
    let n = losses.len() - 1;
    let mean = terms.sum::<f64>() / (n * (n + 1) / 2).max(1) as f64;
    (1.0 - w) * mean + w * final_objective(losses, floor)
}

/// The normalized-loss objective of one unroll for [`Aggregate::MeanRatio`](super::Aggregate):
///
/// ```text
/// q = (1 − w) · Σ_{t=1..T} t · min(L_t/L_0, e³) / Σ_{t=1..T} t  +  w · min(L_T/L_0, e³)
/// ```
///
/// (a non-finite `L_t` counts as `e³`, the bound of the log objectives).
pub fn normalized_objective(losses: &[f64], w: f64) -> f64 {
    let cap = LOG_RATIO_MAX.exp();
    let l0 = losses[0];
    let q = |l: f64| {
        let r = l / l0;
        if r.is_nan() { cap } else { r.min(cap) }
    };
    let n = losses.len() - 1;
    let mean = losses[1..]
        .iter()
        .enumerate()
        .map(|(i, &l)| (i + 1) as f64 * q(l))
        .sum::<f64>()
        / (n * (n + 1) / 2).max(1) as f64;
    (1.0 - w) * mean + w * q(losses[n])
}
