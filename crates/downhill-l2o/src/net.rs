//! The coordinatewise network: features → mixing weights of Adam-like directions and a
//! log-magnitude.

use downhill_tensor::ndarray::{Array1, Array2, Axis};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::error::{Result, config};
use crate::features::{EXTENDED_FEATURES, NUM_FEATURES, RATIO_FEATURES};

/// The width of both hidden layers.
pub const HIDDEN: usize = 32;

/// The number of outputs per coordinate: four mixing weights and one log-magnitude.
pub const OUTPUTS: usize = 5;

/// The step scale `c₂` (see [`LearnedNet`]).
pub const STEP_SCALE: f64 = 0.1;

/// The bound on the direction `d` (after mixing): update clipping at one nominal step, as
/// Adam's own `m̂/r̂` is at most about 1 in steady state.
pub const DIRECTION_BOUND: f64 = 1.0;

/// The bound on each mixing weight `w_k`.
pub const MIX_BOUND: f64 = 3.0;

/// The range of the log-magnitude output `m`.
pub const LOG_MAGNITUDE_RANGE: (f64, f64) = (-15.0, 3.0);

/// The initial log-magnitude bias: the untrained network is Adam with
/// `lr = c₂·e^{b}` = 0.3, the geometric middle of tuned Adam's rates on the family (1 on
/// quadratics, 0.1–0.3 on the MLPs).
const INITIAL_LOG_MAGNITUDE: f64 = 1.098_612_288_668_109_8; // ln 3

/// The learning rate of the Adam that [`LearnedNet::initial`] starts as.
pub const INITIAL_LR: f64 = 0.3;

/// The index of the Adam direction `m̂_0.9/r̂` among the mixed ratios.
const ADAM_MIX: usize = 2;

/// The learned optimizer's network, applied to every scalar parameter independently (one
/// batched pass over a tensor's rows of features).
///
/// ```text
/// x  ∈ R^21                              the features (crate::features)
/// h₁ = relu(x·W₁ + b₁)                   W₁: 21×32
/// h₂ = relu(h₁·W₂ + b₂)                  W₂: 32×32
/// (w₀, w₁, w₂, w₃, m) = h₂·W₃ + b₃ + x·S W₃: 32×5, S: 21×5 (a linear skip path)
/// ρ = (g, m̂_0.5, m̂_0.9, m̂_0.99) / r̂    the Adam-like ratio features 5–8 (each clamped ±10)
/// d  = clamp(Σₖ clamp(wₖ, ±3)·ρₖ, ±1)   the direction: a learned mix of Adam-like directions
/// Δp = −lr · c₂ · exp(clamp(m, −15, 3)) · d                 c₂ = 0.1
/// ```
///
/// Why the direction is a *mix of ratios* (an "Adam-nominal" parametrization, after the
/// hyperparameter-conditioned optimizers of Metz et al. 2022, "VeLO" and "Practical tradeoffs
/// between memory, compute, and performance in learned optimizers"): every candidate direction
/// `ρₖ` is a gradient average divided by the long-memory RMS `r̂`, so it shrinks as the gradient
/// shrinks relative to its history, which is how Adam keeps converging on an ill-conditioned
/// quadratic. The first version let the network write the direction from any feature,
/// including the tensor-normalized gradient and the signs, which do not shrink; it learned to
/// use them, and its step could not get smaller than the distance to the minimum, so it stalled
/// near loss 4e-3 on held-out quadratics while Adam kept descending. Here the network chooses
/// per coordinate which momentum time scales to combine (including negative weights:
/// quasi-hyperbolic and Nesterov-like mixes are expressible) and a per-coordinate learning rate
/// `c₂·e^m` (a schedule, through the time features), but the *scale* of the step always comes
/// from the gradient's own history.
///
/// The clamps bound every update by `lr·c₂·e³ ≈ 2.0·lr`. The bound on `d` is 1, not 3 as in
/// the first version: with 3, a ratio that jumped after a quiet phase (a gradient suddenly
/// large against its long-memory RMS) gave a late step three times the nominal one, and a
/// held-out XOR run spiked from loss 2e-2 to 0.16 at step 95. The initial network has `b₃ =
/// (0, 0, 1, 0, ln 3)`, `S = 0` and a small random `W₃`: it is Adam (β₁ = 0.9, β₂ = 0.999,
/// lr = 0.3, ε = 0) up to that noise, and meta-training refines it rather than searching from
/// noise.
///
/// A network may instead read [`EXTENDED_FEATURES`] = 24 inputs: the 21 above and the three
/// oscillation features of [`crate::features`] (reversal, reversal average, loss change); then
/// `W₁` is `24×32` and `S` is `24×5`, and everything else is the same ([`LearnedNet::inputs`]).
#[derive(Debug, Clone, PartialEq)]
pub struct LearnedNet {
    /// `W₁`, `[inputs, 32]` (inputs 21, or 24 with the oscillation features).
    pub w1: Array2<f64>,
    /// `b₁`, `[32]`.
    pub b1: Array1<f64>,
    /// `W₂`, `[32, 32]`.
    pub w2: Array2<f64>,
    /// `b₂`, `[32]`.
    pub b2: Array1<f64>,
    /// `W₃`, `[32, 5]`.
    pub w3: Array2<f64>,
    /// `b₃`, `[5]`.
    pub b3: Array1<f64>,
    /// The skip path `S`, `[inputs, 5]`.
    pub skip: Array2<f64>,
    /// The update-growth limit `γ` of the optimizer these weights were meta-trained with
    /// (`None`: no limit), part of the update rule rather than a meta-parameter: from its second
    /// step on, a tensor's update RMS may grow by at most the factor `γ` from one step to the
    /// next (see [`LearnedOptimizer`](crate::LearnedOptimizer)). Saved in the weights' metadata
    /// as `update_growth_limit`; [`LearnedNet::from_flat`] gives `None`.
    pub growth_limit: Option<f64>,
    /// The reversal shrink `η` (`None`: none), like [`LearnedNet::growth_limit`] part of the
    /// update rule: when a tensor's gradient points against its fast momentum from before the
    /// step, its update is multiplied by `η` (after the growth limit). Rprop's step decrease
    /// `η⁻` at tensor level, next to the limit's increase `η⁺`:
    ///
    /// ```text
    /// if cos(g_t, m_0.5,t−1) < 0:   Δp_t ← η · Δp_t        (0 < η ≤ 1)
    /// ```
    ///
    /// Saved in the weights' metadata as `update_reversal_shrink`; [`LearnedNet::from_flat`]
    /// gives `None`. The shipped weights carry `η = 0.85` (assets/l2o/HISTORY.md, section
    /// "Session 8", candidate F2; with `η = 0.5` the step collapses on tasks whose gradient
    /// reverses often, since the growth limit lets it recover by at most `γ` per step).
    pub reversal_shrink: Option<f64>,
    /// The reversal recovery `ρ` (`None`: none, the shrink acts on one step only). With it the
    /// reversal shrink keeps a per-tensor scale `s` that persists from step to step, cut by
    /// `η` on every reversal and recovering by `ρ` on every other step — delta-bar-delta
    /// (Jacobs 1988) with the tensor's cosine for the per-weight sign test, and Rprop's
    /// increase/decrease pair as a scale on the learned step:
    ///
    /// ```text
    /// s₀ = 1
    /// s_t = max(η · s_{t−1}, 10⁻⁶)      if cos(g_t, m_0.5,t−1) < 0
    ///       min(ρ · s_{t−1}, 1)          otherwise                   (ρ ≥ 1)
    /// Δp_t ← s_t · Δp_t                  (after the growth limit, whose reference RMS is the
    ///                                     update before s)
    /// ```
    ///
    /// Without it a tensor that reverses on most steps loses only a factor `η` per reversal
    /// and regains up to `γ` on the next step (`γ·η = 1.02 > 1` for the shipped pair), so a
    /// persistent oscillation is never damped; with it the scale falls whenever more than
    /// `ln ρ / (ln ρ − ln η)` of the steps reverse (37 % for `η = 0.85`, `ρ = 1.1`), and
    /// stays at 1 on a tensor that seldom reverses. Saved in the weights' metadata as
    /// `update_reversal_recovery`; it requires a reversal shrink.
    pub reversal_recovery: Option<f64>,
    /// The loss shrink `η_L` (`None`: none), like [`LearnedNet::growth_limit`] part of the
    /// update rule, and the one rule that looks at the loss: the bold driver of Vogl et al.
    /// (1988) and Battiti (1989) as one global scale `s` on every update. The optimizer is
    /// told the loss before each step ([`Optimizer::observe_loss`](downhill_optim::Optimizer::observe_loss));
    /// a loss above the running average of the losses before it cuts the scale, a loss below
    /// lets it recover:
    ///
    /// ```text
    /// s₀ = 1,  a₁ = L₁                                  (the first loss observed)
    /// for each later loss L_t:
    ///   s ← max(η_L · s, 10⁻¹²)    if L_t > a_{t−1}        (0 < η_L ≤ 1)
    ///   s ← min(1, ρ · s)         otherwise               ρ = LOSS_RECOVERY = 1.1
    ///   a_t = β·a_{t−1} + (1−β)·L_t                       β = LOSS_AVERAGE_DECAY = 0.9
    /// Δp ← s · Δp                 (after the growth limit and the reversal shrink; the growth
    ///                              limit's reference RMS is the update before s)
    /// ```
    ///
    /// Comparing with a running average rather than the previous loss lets a steady descent
    /// (always below its average) keep `s = 1` and catches a loss that bounces around a
    /// plateau (above its average about every other step) or climbs. The bold driver
    /// compares with the previous loss and uses η_L = 0.5, ρ = 1.1 (Battiti 1989). With no
    /// loss observed (a loop that never calls `observe_loss`), `s` stays 1. In minibatch
    /// training the loss is noisy, so the scale also shrinks on noise: it then acts like a
    /// learning-rate decay. Saved in the weights' metadata as `update_loss_shrink`;
    /// [`LearnedNet::from_flat`] gives `None`.
    pub loss_shrink: Option<f64>,
}

/// The loss shrink's recovery factor `ρ` ([`LearnedNet::loss_shrink`]): Battiti's 1.1.
pub const LOSS_RECOVERY: f64 = 1.1;

/// The decay `β` of the running loss average the loss shrink compares with
/// ([`LearnedNet::loss_shrink`]).
pub const LOSS_AVERAGE_DECAY: f64 = 0.9;

fn normal_matrix(rng: &mut impl Rng, rows: usize, cols: usize, std: f64) -> Array2<f64> {
    Array2::from_shape_fn((rows, cols), |_| {
        std * <StandardNormal as Distribution<f64>>::sample(&StandardNormal, rng)
    })
}

impl LearnedNet {
    /// The Adam-equivalent starting point described on [`LearnedNet`], with He-normal hidden
    /// weights and an output layer of standard deviation 0.01.
    pub fn initial(rng: &mut impl Rng) -> Self {
        Self::initial_with_lr(rng, INITIAL_LR)
    }

    /// As [`LearnedNet::initial`], but Adam with learning rate `lr` (the log-magnitude bias is
    /// `ln(lr / c₂)`, clamped to [`LOG_MAGNITUDE_RANGE`]); `initial_with_lr(rng, 0.3)` is
    /// `initial(rng)`.
    pub fn initial_with_lr(rng: &mut impl Rng, lr: f64) -> Self {
        Self::initial_with_inputs(rng, lr, NUM_FEATURES)
            .expect("the base feature count is a valid input count")
    }

    /// As [`LearnedNet::initial_with_lr`], for a network reading `inputs` features
    /// ([`NUM_FEATURES`] or [`EXTENDED_FEATURES`]); with [`NUM_FEATURES`] it is
    /// [`LearnedNet::initial_with_lr`], draw for draw.
    ///
    /// # Errors
    /// Another input count.
    pub fn initial_with_inputs(rng: &mut impl Rng, lr: f64, inputs: usize) -> Result<Self> {
        check_inputs(inputs)?;
        let w1 = normal_matrix(rng, inputs, HIDDEN, (2.0 / inputs as f64).sqrt());
        let w2 = normal_matrix(rng, HIDDEN, HIDDEN, (2.0 / HIDDEN as f64).sqrt());
        let w3 = normal_matrix(rng, HIDDEN, OUTPUTS, 0.01);
        let skip = Array2::zeros((inputs, OUTPUTS));
        let mut b3 = Array1::zeros(OUTPUTS);
        b3[ADAM_MIX] = 1.0;
        let (lo, hi) = LOG_MAGNITUDE_RANGE;
        b3[OUTPUTS - 1] = if lr == INITIAL_LR {
            INITIAL_LOG_MAGNITUDE
        } else {
            (lr / STEP_SCALE).ln().clamp(lo, hi)
        };
        Ok(Self {
            w1,
            b1: Array1::zeros(HIDDEN),
            w2,
            b2: Array1::zeros(HIDDEN),
            w3,
            b3,
            skip,
            growth_limit: None,
            reversal_shrink: None,
            reversal_recovery: None,
            loss_shrink: None,
        })
    }

    /// The number of input features the network reads: [`NUM_FEATURES`] (21) or
    /// [`EXTENDED_FEATURES`] (24, with the oscillation features).
    pub fn inputs(&self) -> usize {
        self.w1.nrows()
    }

    /// The same network reading `inputs ≥` [`LearnedNet::inputs`] features: the new rows of
    /// `W₁` and `S` are zero, so its updates are bitwise those of `self` whatever the new
    /// features' values (a warm start for meta-training with the oscillation features).
    ///
    /// # Errors
    /// An input count that is not [`NUM_FEATURES`] or [`EXTENDED_FEATURES`], or below the
    /// network's own.
    pub fn with_inputs(mut self, inputs: usize) -> Result<Self> {
        check_inputs(inputs)?;
        let have = self.inputs();
        if inputs < have {
            return Err(config(
                "inputs",
                format!("cannot drop features: the network reads {have}, asked for {inputs}"),
            ));
        }
        let grow = |a: &Array2<f64>| {
            let mut b = Array2::zeros((inputs, a.ncols()));
            b.slice_mut(downhill_tensor::ndarray::s![..have, ..])
                .assign(a);
            b
        };
        self.w1 = grow(&self.w1);
        self.skip = grow(&self.skip);
        Ok(self)
    }

    /// The number of meta-parameters.
    pub fn num_parameters(&self) -> usize {
        self.parts().iter().map(|p| p.len()).sum()
    }

    fn parts(&self) -> [&[f64]; 7] {
        fn s(a: Option<&[f64]>) -> &[f64] {
            a.expect("owned ndarray arrays are contiguous")
        }
        [
            s(self.w1.as_slice()),
            s(self.b1.as_slice()),
            s(self.w2.as_slice()),
            s(self.b2.as_slice()),
            s(self.w3.as_slice()),
            s(self.b3.as_slice()),
            s(self.skip.as_slice()),
        ]
    }

    /// All meta-parameters in one vector, in the order `W₁, b₁, W₂, b₂, W₃, b₃, S` (row-major);
    /// the growth limit is not a meta-parameter and is not included.
    pub fn to_flat(&self) -> Vec<f64> {
        self.parts().concat()
    }

    /// The number of meta-parameters of a network reading `inputs` features.
    pub fn size_for(inputs: usize) -> usize {
        let (h, o) = (HIDDEN, OUTPUTS);
        inputs * (h + o) + h + h * h + h + h * o + o
    }

    /// The inverse of [`LearnedNet::to_flat`]; the input count (21 or 24) follows from the
    /// length.
    ///
    /// # Errors
    /// A vector whose length is not [`LearnedNet::size_for`] 21 or 24 inputs.
    pub fn from_flat(flat: &[f64]) -> Result<Self> {
        let Some(f) = [NUM_FEATURES, EXTENDED_FEATURES]
            .into_iter()
            .find(|&f| Self::size_for(f) == flat.len())
        else {
            return Err(config(
                "meta-parameters",
                format!(
                    "expected {} values ({NUM_FEATURES} inputs) or {} ({EXTENDED_FEATURES} inputs), got {}",
                    Self::size_for(NUM_FEATURES),
                    Self::size_for(EXTENDED_FEATURES),
                    flat.len()
                ),
            ));
        };
        let (h, o) = (HIDDEN, OUTPUTS);
        let sizes = [f * h, h, h * h, h, h * o, o, f * o];
        let mut at = 0;
        let mut take = |n: usize| {
            let v = flat[at..at + n].to_vec();
            at += n;
            v
        };
        let mat = |v: Vec<f64>, r: usize, c: usize| {
            Array2::from_shape_vec((r, c), v).expect("sizes match by construction")
        };
        Ok(Self {
            w1: mat(take(sizes[0]), f, h),
            b1: Array1::from(take(sizes[1])),
            w2: mat(take(sizes[2]), h, h),
            b2: Array1::from(take(sizes[3])),
            w3: mat(take(sizes[4]), h, o),
            b3: Array1::from(take(sizes[5])),
            skip: mat(take(sizes[6]), f, o),
            growth_limit: None,
            reversal_shrink: None,
            reversal_recovery: None,
            loss_shrink: None,
        })
    }

    /// The same network with the update-growth limit `γ` (`None`: none).
    ///
    /// # Errors
    /// A `γ` that is not finite or below 1 (a limit below 1 would force every update to
    /// shrink).
    pub fn with_growth_limit(mut self, growth_limit: Option<f64>) -> Result<Self> {
        check_growth_limit(growth_limit, "update growth limit")?;
        self.growth_limit = growth_limit;
        Ok(self)
    }

    /// The same network with the reversal shrink `η` (`None`: none); see
    /// [`LearnedNet::reversal_shrink`].
    ///
    /// # Errors
    /// An `η` that is not in `(0, 1]`.
    pub fn with_reversal_shrink(mut self, reversal_shrink: Option<f64>) -> Result<Self> {
        check_shrink(reversal_shrink, "reversal shrink")?;
        self.reversal_shrink = reversal_shrink;
        Ok(self)
    }

    /// The same network with the reversal recovery `ρ` (`None`: none); see
    /// [`LearnedNet::reversal_recovery`]. It acts only together with a reversal shrink.
    ///
    /// # Errors
    /// A `ρ` that is not finite or below 1.
    pub fn with_reversal_recovery(mut self, reversal_recovery: Option<f64>) -> Result<Self> {
        check_growth_limit(reversal_recovery, "reversal recovery")?;
        self.reversal_recovery = reversal_recovery;
        Ok(self)
    }

    /// The same network with the loss shrink `η_L` (`None`: none); see
    /// [`LearnedNet::loss_shrink`].
    ///
    /// # Errors
    /// An `η_L` that is not in `(0, 1]`.
    pub fn with_loss_shrink(mut self, loss_shrink: Option<f64>) -> Result<Self> {
        check_shrink(loss_shrink, "loss shrink")?;
        self.loss_shrink = loss_shrink;
        Ok(self)
    }

    /// The raw outputs `(w₀, w₁, w₂, w₃, m)` for each row of `x` (`[n, inputs]`), before
    /// clamping.
    pub fn forward(&self, x: &Array2<f64>) -> Array2<f64> {
        let relu = |v: f64| v.max(0.0);
        let h1 = (x.dot(&self.w1) + &self.b1).mapv_into(relu);
        let h2 = (h1.dot(&self.w2) + &self.b2).mapv_into(relu);
        h2.dot(&self.w3) + &self.b3 + x.dot(&self.skip)
    }

    /// The update `Δp` (before the global `lr`) for each row of `x`, bounded as documented.
    pub fn updates(&self, x: &Array2<f64>) -> Vec<f64> {
        let out = self.forward(x);
        let (lo, hi) = LOG_MAGNITUDE_RANGE;
        out.axis_iter(Axis(0))
            .zip(x.axis_iter(Axis(0)))
            .map(|(o, xi)| {
                let mix: f64 = (0..OUTPUTS - 1)
                    .map(|k| clamp_nan(o[k], MIX_BOUND) * xi[RATIO_FEATURES + k])
                    .sum();
                let d = clamp_nan(mix, DIRECTION_BOUND);
                let m = o[OUTPUTS - 1];
                let m = if m.is_nan() { lo } else { m.clamp(lo, hi) };
                -STEP_SCALE * m.exp() * d
            })
            .collect()
    }
}

/// Checks an input count ([`NUM_FEATURES`] or [`EXTENDED_FEATURES`]).
pub(crate) fn check_inputs(inputs: usize) -> Result<()> {
    if inputs == NUM_FEATURES || inputs == EXTENDED_FEATURES {
        Ok(())
    } else {
        Err(config(
            "inputs",
            format!("a network reads {NUM_FEATURES} or {EXTENDED_FEATURES} features, got {inputs}"),
        ))
    }
}

/// Checks an update-growth limit or a reversal recovery (finite and ≥ 1 when given); `name` is
/// the setting the error names.
pub(crate) fn check_growth_limit(growth_limit: Option<f64>, name: &'static str) -> Result<()> {
    match growth_limit {
        Some(g) if !(g.is_finite() && g >= 1.0) => {
            Err(config(name, format!("must be finite and ≥ 1, got {g}")))
        }
        _ => Ok(()),
    }
}

/// Checks a reversal or loss shrink (in `(0, 1]` when given); `name` is the setting the error names.
pub(crate) fn check_shrink(shrink: Option<f64>, name: &'static str) -> Result<()> {
    match shrink {
        Some(e) if !(e > 0.0 && e <= 1.0) => {
            Err(config(name, format!("must be in (0, 1], got {e}")))
        }
        _ => Ok(()),
    }
}

/// Clamps to `±bound`, mapping NaN (possible only from non-finite meta-parameters) to 0.
fn clamp_nan(v: f64, bound: f64) -> f64 {
    if v.is_nan() {
        0.0
    } else {
        v.clamp(-bound, bound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn flat_round_trip() {
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(1);
        let net = LearnedNet::initial(&mut rng);
        let back = LearnedNet::from_flat(&net.to_flat()).unwrap();
        assert_eq!(net, back);
        assert_eq!(
            net.num_parameters(),
            21 * 32 + 32 + 32 * 32 + 32 + 32 * 5 + 5 + 21 * 5
        );
        assert!(LearnedNet::from_flat(&[1.0]).is_err());
        let wide = LearnedNet::initial_with_inputs(&mut rng, 0.1, EXTENDED_FEATURES).unwrap();
        assert_eq!(wide.inputs(), EXTENDED_FEATURES);
        assert_eq!(LearnedNet::from_flat(&wide.to_flat()).unwrap(), wide);
        assert_eq!(
            wide.num_parameters(),
            LearnedNet::size_for(EXTENDED_FEATURES)
        );
        assert!(LearnedNet::initial_with_inputs(&mut rng, 0.1, 22).is_err());
    }

    #[test]
    fn widening_adds_zero_rows_and_keeps_the_updates() {
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(2);
        let net = LearnedNet::initial(&mut rng);
        let wide = net.clone().with_inputs(EXTENDED_FEATURES).unwrap();
        assert_eq!(
            wide.w1
                .slice(downhill_tensor::ndarray::s![..NUM_FEATURES, ..]),
            net.w1
        );
        assert!(
            wide.w1
                .slice(downhill_tensor::ndarray::s![NUM_FEATURES.., ..])
                .iter()
                .all(|v| *v == 0.0)
        );
        let x = Array2::from_shape_fn((5, NUM_FEATURES), |(i, j)| ((i * 7 + j) as f64).sin());
        let mut xw = Array2::from_shape_fn((5, EXTENDED_FEATURES), |(i, j)| ((i + j) as f64).cos());
        xw.slice_mut(downhill_tensor::ndarray::s![.., ..NUM_FEATURES])
            .assign(&x);
        assert_eq!(net.updates(&x), wide.updates(&xw));
        assert!(wide.clone().with_inputs(NUM_FEATURES).is_err());
        assert!(net.with_inputs(23).is_err());
    }
}
