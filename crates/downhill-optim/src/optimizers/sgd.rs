//! Stochastic gradient descent with momentum and Nesterov momentum.

use downhill_tensor::Element;

use crate::error::non_negative;
use crate::fused::{Group, Rule, Slot};
use crate::kernel::{zip1, zip2};
use crate::optimizers::named_optimizer;
use crate::{GroupOverrides, OptimError};

/// SGD as `torch.optim.SGD` implements it (momentum: Polyak 1964; Nesterov: Sutskever et al. 2013).
///
/// ```text
/// g ← −g if maximize;  g ← g + λ·x                       (weight_decay λ, an L2 penalty)
/// b₁ ← g;  b_t ← μ·b_{t−1} + (1 − τ)·g                   (momentum μ, dampening τ)
/// d ← g + μ·b_t if nesterov, else b_t  (d ← g if μ = 0)
/// x ← x − lr·d
/// ```
///
/// PyTorch's first momentum buffer is the gradient itself (no dampening on step 1).
/// The lecture's Nesterov slide writes Sutskever's form `v ← ρv − α∇f(x+ρv); x ← x+v`;
/// PyTorch's look-ahead form above is the same algorithm under the change of variables
/// `y = x + ρv`, `b = −v/lr` for a constant learning rate (a test checks it).
#[derive(Clone, Debug, PartialEq)]
pub struct Sgd {
    /// Learning rate (PyTorch default 1e-3).
    pub lr: f64,
    /// Momentum factor μ (default 0).
    pub momentum: f64,
    /// Dampening τ of the momentum (default 0).
    pub dampening: f64,
    /// Nesterov momentum (default false; needs μ > 0 and τ = 0).
    pub nesterov: bool,
    /// L2 penalty coefficient λ (default 0).
    pub weight_decay: f64,
    /// Maximize the objective instead (default false).
    pub maximize: bool,
    /// Extra parameter groups 1, 2, …
    pub groups: Vec<GroupOverrides>,
}

impl Default for Sgd {
    fn default() -> Self {
        Self {
            lr: 1e-3,
            momentum: 0.0,
            dampening: 0.0,
            nesterov: false,
            weight_decay: 0.0,
            maximize: false,
            groups: vec![],
        }
    }
}

named_optimizer!(Sgd, SgdOptimizer);

impl Rule for Sgd {
    const NAME: &'static str = "sgd";

    fn validate(&self) -> Result<(), OptimError> {
        non_negative(Self::NAME, "lr", self.lr)?;
        non_negative(Self::NAME, "momentum", self.momentum)?;
        non_negative(Self::NAME, "dampening", self.dampening)?;
        non_negative(Self::NAME, "weight_decay", self.weight_decay)?;
        if self.nesterov && (self.momentum <= 0.0 || self.dampening != 0.0) {
            let (name, value) = if self.momentum <= 0.0 {
                ("momentum", self.momentum)
            } else {
                ("dampening", self.dampening)
            };
            return Err(OptimError::hyper(
                Self::NAME,
                name,
                value,
                "Nesterov momentum requires momentum > 0 and dampening = 0",
            ));
        }
        Ok(())
    }

    fn default_group(&self) -> Group {
        Group {
            lr: self.lr,
            weight_decay: self.weight_decay,
            momentum: self.momentum,
        }
    }

    fn has_momentum(&self) -> bool {
        true
    }

    fn buffer_names(&self) -> Vec<&'static str> {
        if self.momentum != 0.0 {
            vec!["momentum_buffer"]
        } else {
            vec![]
        }
    }

    fn apply<E: Element>(&self, group: &Group, slot: &mut Slot<E>, x: &mut [E], g: &[E]) {
        let (neg_lr, wd) = (E::of(-group.lr), E::of(group.weight_decay));
        let sign = if self.maximize { -E::one() } else { E::one() };
        let decayed = move |x: E, g: E| {
            if wd != E::zero() {
                sign * g + wd * x
            } else {
                sign * g
            }
        };
        if group.momentum == 0.0 || slot.bufs.is_empty() {
            zip1(x, g, |x, g| *x = *x + neg_lr * decayed(*x, g));
            return;
        }
        let (mu, keep) = (E::of(group.momentum), E::of(1.0 - self.dampening));
        let (first, nesterov) = (slot.step == 1, self.nesterov);
        zip2(x, g, slot.bufs[0].as_mut_slice(), |x, g, b| {
            let d = decayed(*x, g);
            *b = if first { d } else { *b * mu + keep * d };
            let step = if nesterov { d + mu * *b } else { *b };
            *x = *x + neg_lr * step;
        });
    }
}
