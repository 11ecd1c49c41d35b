//! Adagrad (Duchi, Hazan & Singer 2011).

use downhill_tensor::{Element, Tensor};

use crate::error::non_negative;
use crate::fused::{Group, Rule, Slot};
use crate::kernel::zip2;
use crate::optimizers::named_optimizer;
use crate::{GroupOverrides, OptimError};

/// Adagrad as `torch.optim.Adagrad` implements it (Duchi, Hazan & Singer 2011, "Adaptive
/// Subgradient Methods for Online Learning and Stochastic Optimization").
///
/// ```text
/// g ← −g if maximize;  g ← g + λ·x
/// η_t = lr / (1 + (t − 1)·lr_decay)
/// s ← s + g²                           (s₀ = initial_accumulator_value)
/// x ← x − η_t · g / (√s + ε)
/// ```
///
/// The lecture's slide writes `x −= α g / (cache + ε)`: the square root is missing there.
#[derive(Clone, Debug, PartialEq)]
pub struct Adagrad {
    /// Learning rate (default 1e-2).
    pub lr: f64,
    /// Learning-rate decay per step (default 0).
    pub lr_decay: f64,
    /// L2 penalty coefficient λ (default 0).
    pub weight_decay: f64,
    /// Initial value of the accumulator s (default 0).
    pub initial_accumulator_value: f64,
    /// ε added to √s (default 1e-10).
    pub eps: f64,
    /// Maximize the objective instead (default false).
    pub maximize: bool,
    /// Extra parameter groups 1, 2, …
    pub groups: Vec<GroupOverrides>,
}

impl Default for Adagrad {
    fn default() -> Self {
        Self {
            lr: 1e-2,
            lr_decay: 0.0,
            weight_decay: 0.0,
            initial_accumulator_value: 0.0,
            eps: 1e-10,
            maximize: false,
            groups: vec![],
        }
    }
}

named_optimizer!(Adagrad, AdagradOptimizer);

impl Rule for Adagrad {
    const NAME: &'static str = "adagrad";

    fn validate(&self) -> Result<(), OptimError> {
        non_negative(Self::NAME, "lr", self.lr)?;
        non_negative(Self::NAME, "lr_decay", self.lr_decay)?;
        non_negative(Self::NAME, "weight_decay", self.weight_decay)?;
        non_negative(
            Self::NAME,
            "initial_accumulator_value",
            self.initial_accumulator_value,
        )?;
        non_negative(Self::NAME, "eps", self.eps)
    }

    fn default_group(&self) -> Group {
        Group {
            lr: self.lr,
            weight_decay: self.weight_decay,
            momentum: 0.0,
        }
    }

    fn has_momentum(&self) -> bool {
        false
    }

    fn buffer_names(&self) -> Vec<&'static str> {
        vec!["sum"]
    }

    fn init_slot<E: Element>(&self, value: &Tensor<E>) -> Slot<E> {
        let sum = Tensor::full(value.shape(), E::of(self.initial_accumulator_value));
        Slot {
            step: 0,
            scalar: 1.0,
            bufs: vec![sum],
        }
    }

    fn apply<E: Element>(&self, group: &Group, slot: &mut Slot<E>, x: &mut [E], g: &[E]) {
        let clr = group.lr / (1.0 + (slot.step - 1) as f64 * self.lr_decay);
        let (neg_clr, wd, eps) = (E::of(-clr), E::of(group.weight_decay), E::of(self.eps));
        let sign = if self.maximize { -E::one() } else { E::one() };
        zip2(x, g, slot.bufs[0].as_mut_slice(), |x, g, s| {
            let g = if wd != E::zero() {
                sign * g + wd * *x
            } else {
                sign * g
            };
            *s = *s + g * g;
            *x = *x + neg_clr * (g / (s.sqrt() + eps));
        });
    }
}
