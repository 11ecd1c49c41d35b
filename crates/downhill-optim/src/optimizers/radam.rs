//! RAdam (Liu et al. 2020): Adam with a rectified adaptive learning rate.

use downhill_tensor::Element;

use crate::fused::{Group, Rule, Slot};
use crate::kernel::{lerp, zip3};
use crate::optimizers::adam::validate_adam;
use crate::optimizers::named_optimizer;
use crate::{GroupOverrides, OptimError};

/// RAdam as `torch.optim.RAdam` implements it (Liu et al. 2020, "On the Variance of the
/// Adaptive Learning Rate and Beyond").
///
/// ```text
/// g ← g + λ·x   (or x ← x·(1 − lr·λ) if decoupled_weight_decay)
/// m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²;  m̂ = m/(1 − β₁ᵗ)
/// ρ_∞ = 2/(1 − β₂) − 1;   ρ_t = ρ_∞ − 2t·β₂ᵗ/(1 − β₂ᵗ)
/// if ρ_t > 5:  r = √((ρ_t − 4)(ρ_t − 2)ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2)ρ_t))
///              x ← x − lr · m̂ · r · √(1 − β₂ᵗ)/(√v + ε)
/// else:        x ← x − lr · m̂                 (SGD with momentum while the variance is unbounded)
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RAdam {
    /// Learning rate (default 1e-3).
    pub lr: f64,
    /// (β₁, β₂) (default (0.9, 0.999)).
    pub betas: (f64, f64),
    /// ε (default 1e-8).
    pub eps: f64,
    /// Weight decay λ (default 0).
    pub weight_decay: f64,
    /// Decoupled weight decay as in AdamW (default false).
    pub decoupled_weight_decay: bool,
    /// Maximize the objective instead (default false).
    pub maximize: bool,
    /// Extra parameter groups 1, 2, …
    pub groups: Vec<GroupOverrides>,
}

impl Default for RAdam {
    fn default() -> Self {
        Self {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            decoupled_weight_decay: false,
            maximize: false,
            groups: vec![],
        }
    }
}

named_optimizer!(RAdam, RAdamOptimizer);

impl Rule for RAdam {
    const NAME: &'static str = "radam";

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
        vec!["exp_avg", "exp_avg_sq"]
    }

    fn apply<E: Element>(&self, group: &Group, slot: &mut Slot<E>, x: &mut [E], g: &[E]) {
        let t = slot.step as f64;
        let (b1, b2, lr) = (group.momentum, self.betas.1, group.lr);
        let (bc1, bc2) = (1.0 - b1.powf(t), 1.0 - b2.powf(t));
        let rho_inf = 2.0 / (1.0 - b2) - 1.0;
        let rho_t = rho_inf - 2.0 * t * b2.powf(t) / bc2;
        let rect = (rho_t > 5.0).then(|| {
            ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
                .sqrt()
        });
        let (bc1, lre, bc2_sqrt) = (E::of(bc1), E::of(lr), E::of(bc2.sqrt()));
        let (w1, b2e, w2, eps) = (E::of(1.0 - b1), E::of(b2), E::of(1.0 - b2), E::of(self.eps));
        let decoupled = self.decoupled_weight_decay && group.weight_decay != 0.0;
        let shrink = if decoupled {
            E::of(1.0 - lr * group.weight_decay)
        } else {
            E::one()
        };
        let wd = if decoupled {
            E::zero()
        } else {
            E::of(group.weight_decay)
        };
        let sign = if self.maximize { -E::one() } else { E::one() };
        let rect = rect.map(E::of);
        let [m, v] = &mut slot.bufs[..] else {
            unreachable!("radam has two buffers")
        };
        zip3(x, g, m.as_mut_slice(), v.as_mut_slice(), |x, g, m, v| {
            let g = if wd != E::zero() {
                sign * g + wd * *x
            } else {
                sign * g
            };
            *x = *x * shrink;
            *m = lerp(*m, g, w1);
            *v = *v * b2e + w2 * g * g;
            let m_hat = *m / bc1;
            *x = *x
                - match rect {
                    Some(r) => m_hat * lre * (bc2_sqrt / (v.sqrt() + eps)) * r,
                    None => m_hat * lre,
                };
        });
    }
}
