//! LAMB (You et al. 2020), as optax implements it.

use downhill_tensor::Element;

use crate::error::non_negative;
use rayon::prelude::*;

use crate::fused::{Group, Rule, Slot};
use crate::kernel::{CHUNK, PAR_THRESHOLD};
use crate::optimizers::adam::validate_adam;
use crate::optimizers::named_optimizer;
use crate::{GroupOverrides, OptimError};

/// LAMB as `optax.lamb` implements it (You et al. 2020, "Large Batch Optimization for Deep
/// Learning: Training BERT in 76 minutes"); PyTorch has no LAMB.
///
/// ```text
/// m ← β₁·m + (1 − β₁)·g;   v ← β₂·v + (1 − β₂)·g²
/// u = m/(1 − β₁ᵗ) / (√(v/(1 − β₂ᵗ)) + ε) + λ·x
/// r = ‖x‖/‖u‖  per parameter tensor (r = 1 if either norm is 0)
/// x ← x − lr·r·u
/// ```
///
/// The fused path makes two passes over each parameter (the trust ratio needs both norms
/// before the update) and recomputes `u` instead of storing it. Above the threading threshold
/// the norms are summed per fixed-size chunk, so results are deterministic but may differ in
/// the last bits from a single sequential sum. Defaults are optax's:
/// β = (0.9, 0.999), ε = 1e-6, λ = 0; lr defaults to 1e-3.
#[derive(Clone, Debug, PartialEq)]
pub struct Lamb {
    /// Learning rate (default 1e-3).
    pub lr: f64,
    /// (β₁, β₂) (default (0.9, 0.999)).
    pub betas: (f64, f64),
    /// ε (default 1e-6).
    pub eps: f64,
    /// Decoupled weight decay λ, added before the trust ratio (default 0).
    pub weight_decay: f64,
    /// Maximize the objective instead (default false).
    pub maximize: bool,
    /// Extra parameter groups 1, 2, …
    pub groups: Vec<GroupOverrides>,
}

impl Default for Lamb {
    fn default() -> Self {
        Self {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-6,
            weight_decay: 0.0,
            maximize: false,
            groups: vec![],
        }
    }
}

named_optimizer!(Lamb, LambOptimizer);

impl Rule for Lamb {
    const NAME: &'static str = "lamb";

    fn validate(&self) -> Result<(), OptimError> {
        validate_adam(Self::NAME, self.lr, self.betas, self.eps, self.weight_decay)?;
        non_negative(Self::NAME, "weight_decay", self.weight_decay)
    }

    fn default_group(&self) -> Group {
        Group {
            lr: self.lr,
            weight_decay: self.weight_decay,
            momentum: self.betas.0,
        }
    }

    fn has_momentum(&self) -> bool {
        true
    }

    fn buffer_names(&self) -> Vec<&'static str> {
        vec!["exp_avg", "exp_avg_sq"]
    }

    fn apply<E: Element>(&self, group: &Group, slot: &mut Slot<E>, x: &mut [E], g: &[E]) {
        let t = slot.step as f64;
        let (b1, b2) = (group.momentum, self.betas.1);
        let (bc1, bc2) = (E::of(1.0 - b1.powf(t)), E::of(1.0 - b2.powf(t)));
        let (b1, w1, b2, w2) = (E::of(b1), E::of(1.0 - b1), E::of(b2), E::of(1.0 - b2));
        let (eps, wd) = (E::of(self.eps), E::of(group.weight_decay));
        let sign = if self.maximize { -E::one() } else { E::one() };
        let [m, v] = &mut slot.bufs[..] else {
            unreachable!("lamb has two buffers")
        };
        let (m, v) = (m.as_mut_slice(), v.as_mut_slice());
        let update = move |x: E, m: E, v: E| (m / bc1) / ((v / bc2).sqrt() + eps) + wd * x;
        // Pass 1: update the moments, accumulate ‖x‖² and ‖u‖² (u is recomputed in pass 2).
        let moments = |x: &[E], g: &[E], m: &mut [E], v: &mut [E]| {
            let (mut xx, mut uu) = (E::zero(), E::zero());
            for (((x, &g), m), v) in x.iter().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
                let g = sign * g;
                *m = w1 * g + b1 * *m;
                *v = w2 * g * g + b2 * *v;
                let u = update(*x, *m, *v);
                xx = xx + *x * *x;
                uu = uu + u * u;
            }
            (xx, uu)
        };
        let (xx, uu) = if x.len() < PAR_THRESHOLD {
            moments(x, g, m, v)
        } else {
            // Partial sums per fixed-size chunk, added in order: deterministic.
            let parts: Vec<(E, E)> = x
                .par_chunks(CHUNK)
                .zip(g.par_chunks(CHUNK))
                .zip(m.par_chunks_mut(CHUNK))
                .zip(v.par_chunks_mut(CHUNK))
                .map(|(((x, g), m), v)| moments(x, g, m, v))
                .collect();
            parts
                .iter()
                .fold((E::zero(), E::zero()), |(a, b), &(c, d)| (a + c, b + d))
        };
        let (xn, un) = (xx.sqrt(), uu.sqrt());
        let ratio = if xn == E::zero() || un == E::zero() {
            E::one()
        } else {
            xn / un
        };
        apply_trust_ratio(x, m, v, E::of(-group.lr) * ratio, update);
    }
}

/// Pass 2 of LAMB: `x ← x + neg·u(x, m, v)`.
fn apply_trust_ratio<E: Element>(
    x: &mut [E],
    m: &[E],
    v: &[E],
    neg: E,
    update: impl Fn(E, E, E) -> E + Sync,
) {
    let run = |x: &mut [E], m: &[E], v: &[E]| {
        for ((x, &m), &v) in x.iter_mut().zip(m).zip(v) {
            *x = *x + update(*x, m, v) * neg;
        }
    };
    if x.len() < PAR_THRESHOLD {
        run(x, m, v);
    } else {
        x.par_chunks_mut(CHUNK)
            .zip(m.par_chunks(CHUNK))
            .zip(v.par_chunks(CHUNK))
            .for_each(|((x, m), v)| run(x, m, v));
    }
}
