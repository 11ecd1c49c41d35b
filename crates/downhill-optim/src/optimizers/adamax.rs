//! Adamax (Kingma & Ba 2015, section 7.1): Adam with the infinity norm.

use downhill_tensor::Element;

use crate::fused::{Group, Rule, Slot};
use crate::kernel::{lerp, zip3};
use crate::optimizers::adam::validate_adam;
use crate::optimizers::named_optimizer;
use crate::{GroupOverrides, OptimError};

/// Adamax as `torch.optim.Adamax` implements it (Kingma & Ba 2015, §7.1).
///
/// ```text
/// g ← −g if maximize;  g ← g + λ·x
/// m ← β₁·m + (1 − β₁)·g
/// u ← max(β₂·u, |g| + ε)
/// x ← x − lr/(1 − β₁ᵗ) · m/u
/// ```
///
/// PyTorch adds ε inside the maximum (the paper has no ε), which keeps `u > 0`.
#[derive(Clone, Debug, PartialEq)]
pub struct Adamax {
    /// Learning rate (default 2e-3).
    pub lr: f64,
    /// (β₁, β₂) (default (0.9, 0.999)).
    pub betas: (f64, f64),
    /// ε (default 1e-8).
    pub eps: f64,
    /// L2 penalty λ (default 0).
    pub weight_decay: f64,
    /// Maximize the objective instead (default false).
    pub maximize: bool,
    /// Extra parameter groups 1, 2, …
    pub groups: Vec<GroupOverrides>,
}

impl Default for Adamax {
    fn default() -> Self {
        Self {
            lr: 2e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            maximize: false,
            groups: vec![],
        }
    }
}

named_optimizer!(Adamax, AdamaxOptimizer);

impl Rule for Adamax {
    const NAME: &'static str = "adamax";

    fn validate(&self) -> Result<(), OptimError> {
        validate_adam(Self::NAME, self.lr, self.betas, self.eps, self.weight_decay)
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
        vec!["exp_avg", "exp_inf"]
    }

    fn apply<E: Element>(&self, group: &Group, slot: &mut Slot<E>, x: &mut [E], g: &[E]) {
        let b1 = group.momentum;
        let neg_clr = E::of(-(group.lr / (1.0 - b1.powf(slot.step as f64))));
        let (w1, b2, eps, wd) = (
            E::of(1.0 - b1),
            E::of(self.betas.1),
            E::of(self.eps),
            E::of(group.weight_decay),
        );
        let sign = if self.maximize { -E::one() } else { E::one() };
        let [m, u] = &mut slot.bufs[..] else {
            unreachable!("adamax has two buffers")
        };
        zip3(x, g, m.as_mut_slice(), u.as_mut_slice(), |x, g, m, u| {
            let g = if wd != E::zero() {
                sign * g + wd * *x
            } else {
                sign * g
            };
            *m = lerp(*m, g, w1);
            *u = (*u * b2).max(g.abs() + eps);
            *x = *x + neg_clr * (*m / *u);
        });
    }
}
