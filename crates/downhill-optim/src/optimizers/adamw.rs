//! AdamW (Loshchilov & Hutter 2019): Adam with decoupled weight decay.

use downhill_tensor::Element;

use crate::fused::{Group, Rule, Slot};
use crate::optimizers::adam::{adam_step, validate_adam};
use crate::optimizers::named_optimizer;
use crate::{Adam, GroupOverrides, OptimError};

/// AdamW as `torch.optim.AdamW` implements it (Loshchilov & Hutter 2019, "Decoupled Weight
/// Decay Regularization").
///
/// ```text
/// x ← x·(1 − lr·λ)                 (decoupled: not part of the gradient)
/// then Adam's update without an L2 term (see [`Adam`])
/// ```
///
/// Under Adam an L2 penalty is divided by √v̂ like the rest of the gradient, so heavily
/// updated weights are decayed less; decoupled decay shrinks every weight by the same factor.
/// The default weight decay is 1e-2, as in PyTorch.
#[derive(Clone, Debug, PartialEq)]
pub struct AdamW {
    /// Learning rate (default 1e-3).
    pub lr: f64,
    /// (β₁, β₂) (default (0.9, 0.999)).
    pub betas: (f64, f64),
    /// ε (default 1e-8).
    pub eps: f64,
    /// Decoupled weight decay λ (default 1e-2).
    pub weight_decay: f64,
    /// AMSGrad (default false).
    pub amsgrad: bool,
    /// Maximize the objective instead (default false).
    pub maximize: bool,
    /// Extra parameter groups 1, 2, …
    pub groups: Vec<GroupOverrides>,
}

impl Default for AdamW {
    fn default() -> Self {
        Self {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 1e-2,
            amsgrad: false,
            maximize: false,
            groups: vec![],
        }
    }
}

named_optimizer!(AdamW, AdamWOptimizer);

impl AdamW {
    fn as_adam(&self) -> Adam {
        Adam {
            lr: self.lr,
            betas: self.betas,
            eps: self.eps,
            weight_decay: self.weight_decay,
            amsgrad: self.amsgrad,
            decoupled_weight_decay: true,
            maximize: self.maximize,
            groups: vec![],
        }
    }
}

impl Rule for AdamW {
    const NAME: &'static str = "adamw";

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
        self.as_adam().buffer_names()
    }

    fn apply<E: Element>(&self, group: &Group, slot: &mut Slot<E>, x: &mut [E], g: &[E]) {
        adam_step(&self.as_adam(), group, slot, x, g);
    }
}
