//! Lion (Chen et al. 2023), as optax implements it.

use downhill_tensor::Element;

use crate::error::non_negative;
use crate::fused::{Group, Rule, Slot};
use crate::kernel::zip2;
use crate::optimizers::adam::validate_adam;
use crate::optimizers::named_optimizer;
use crate::{GroupOverrides, OptimError};

/// Lion as `optax.lion` implements it (Chen et al. 2023, "Symbolic Discovery of Optimization
/// Algorithms"); PyTorch has no Lion.
///
/// ```text
/// u = sign((1 − β₁)·g + β₁·m)          (sign(0) = 0)
/// m ← (1 − β₂)·g + β₂·m
/// x ← x − lr·(u + λ·x)                  (decoupled weight decay λ)
/// ```
///
/// The hyperparameter names are PyTorch-style (`betas` for optax's `b1`, `b2`); the defaults are
/// optax's (β = (0.9, 0.99), λ = 1e-3), and lr defaults to 1e-4 (optax has no default; the
/// paper recommends a rate 3–10× smaller than AdamW's).
#[derive(Clone, Debug, PartialEq)]
pub struct Lion {
    /// Learning rate (default 1e-4).
    pub lr: f64,
    /// (β₁, β₂) (default (0.9, 0.99)).
    pub betas: (f64, f64),
    /// Decoupled weight decay λ (default 1e-3).
    pub weight_decay: f64,
    /// Maximize the objective instead (default false).
    pub maximize: bool,
    /// Extra parameter groups 1, 2, …
    pub groups: Vec<GroupOverrides>,
}

impl Default for Lion {
    fn default() -> Self {
        Self {
            lr: 1e-4,
            betas: (0.9, 0.99),
            weight_decay: 1e-3,
            maximize: false,
            groups: vec![],
        }
    }
}

named_optimizer!(Lion, LionOptimizer);

impl Rule for Lion {
    const NAME: &'static str = "lion";

    fn validate(&self) -> Result<(), OptimError> {
        validate_adam(Self::NAME, self.lr, self.betas, 0.0, self.weight_decay)?;
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
        vec!["exp_avg"]
    }

    fn apply<E: Element>(&self, group: &Group, slot: &mut Slot<E>, x: &mut [E], g: &[E]) {
        let (b1, b2) = (E::of(group.momentum), E::of(self.betas.1));
        let (w1, w2) = (E::of(1.0 - group.momentum), E::of(1.0 - self.betas.1));
        let (neg_lr, wd) = (E::of(-group.lr), E::of(group.weight_decay));
        let sign = if self.maximize { -E::one() } else { E::one() };
        zip2(x, g, slot.bufs[0].as_mut_slice(), |x, g, m| {
            let g = sign * g;
            let u = sign_of(w1 * g + b1 * *m);
            *m = w2 * g + b2 * *m;
            *x = *x + (u + wd * *x) * neg_lr;
        });
    }
}

/// `jnp.sign`: −1, 0 or 1 (Rust's `signum` maps 0 to 1).
#[inline(always)]
pub(crate) fn sign_of<E: Element>(v: E) -> E {
    if v > E::zero() {
        E::one()
    } else if v < E::zero() {
        -E::one()
    } else {
        E::zero()
    }
}
