//! NAdam (Dozat 2016): Adam with Nesterov momentum.

use downhill_tensor::Element;

use crate::error::non_negative;
use crate::fused::{Group, Rule, Slot};
use crate::kernel::{lerp, zip3};
use crate::optimizers::adam::validate_adam;
use crate::optimizers::named_optimizer;
use crate::{GroupOverrides, OptimError};

/// NAdam as `torch.optim.NAdam` implements it (Dozat 2016, "Incorporating Nesterov Momentum
/// into Adam"), with the momentum schedule μ_t of the paper.
///
/// ```text
/// g ← g + λ·x   (or x ← x·(1 − lr·λ) if decoupled_weight_decay)
/// μ_t = β₁·(1 − ½·0.96^(t·ψ));  μ_{t+1} = β₁·(1 − ½·0.96^((t+1)·ψ))   (momentum_decay ψ)
/// Π_t = Π_{t−1}·μ_t                                                     (mu_product, Π₀ = 1)
/// m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²
/// d = √(v / (1 − β₂ᵗ)) + ε
/// x ← x − lr·(1 − μ_t)/(1 − Π_t) · g/d − lr·μ_{t+1}/(1 − Π_t·μ_{t+1}) · m/d
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct NAdam {
    /// Learning rate (default 2e-3).
    pub lr: f64,
    /// (β₁, β₂) (default (0.9, 0.999)).
    pub betas: (f64, f64),
    /// ε (default 1e-8).
    pub eps: f64,
    /// Weight decay λ (default 0).
    pub weight_decay: f64,
    /// Momentum decay ψ (default 4e-3).
    pub momentum_decay: f64,
    /// Decoupled weight decay as in AdamW (default false).
    pub decoupled_weight_decay: bool,
    /// Maximize the objective instead (default false).
    pub maximize: bool,
    /// Extra parameter groups 1, 2, …
    pub groups: Vec<GroupOverrides>,
}

impl Default for NAdam {
    fn default() -> Self {
        Self {
            lr: 2e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            momentum_decay: 4e-3,
            decoupled_weight_decay: false,
            maximize: false,
            groups: vec![],
        }
    }
}

named_optimizer!(NAdam, NAdamOptimizer);

impl Rule for NAdam {
    const NAME: &'static str = "nadam";

    fn validate(&self) -> Result<(), OptimError> {
        validate_adam(Self::NAME, self.lr, self.betas, self.eps, self.weight_decay)?;
        non_negative(Self::NAME, "momentum_decay", self.momentum_decay)
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
        let mu = b1 * (1.0 - 0.5 * 0.96f64.powf(t * self.momentum_decay));
        let mu_next = b1 * (1.0 - 0.5 * 0.96f64.powf((t + 1.0) * self.momentum_decay));
        slot.scalar *= mu;
        let c_grad = E::of(-lr * (1.0 - mu) / (1.0 - slot.scalar));
        let c_avg = E::of((-lr * mu_next) / (1.0 - slot.scalar * mu_next));
        let bc2 = E::of(1.0 - b2.powf(t));
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
        let [m, v] = &mut slot.bufs[..] else {
            unreachable!("nadam has two buffers")
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
            let d = (*v / bc2).sqrt() + eps;
            *x = *x + c_grad * (g / d);
            *x = *x + c_avg * (*m / d);
        });
    }
}
