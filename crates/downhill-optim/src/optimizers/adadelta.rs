//! Adadelta (Zeiler 2012).

use downhill_tensor::Element;

use crate::error::{non_negative, unit_interval};
use crate::fused::{Group, Rule, Slot};
use crate::kernel::zip3;
use crate::optimizers::named_optimizer;
use crate::{GroupOverrides, OptimError};

/// Adadelta as `torch.optim.Adadelta` implements it (Zeiler 2012, "ADADELTA: An Adaptive
/// Learning Rate Method").
///
/// ```text
/// g ← −g if maximize;  g ← g + λ·x
/// v ← ρ·v + (1 − ρ)·g²
/// Δ = √(u + ε) / √(v + ε) · g
/// u ← ρ·u + (1 − ρ)·Δ²
/// x ← x − lr·Δ
/// ```
///
/// The lecture names it "Adadelat" without a formula. PyTorch adds `lr` (default 1.0, which is
/// Zeiler's algorithm).
#[derive(Clone, Debug, PartialEq)]
pub struct Adadelta {
    /// Learning rate scaling Δ (default 1.0).
    pub lr: f64,
    /// Decay ρ of both running averages (default 0.9).
    pub rho: f64,
    /// ε inside both square roots (default 1e-6).
    pub eps: f64,
    /// L2 penalty coefficient λ (default 0).
    pub weight_decay: f64,
    /// Maximize the objective instead (default false).
    pub maximize: bool,
    /// Extra parameter groups 1, 2, …
    pub groups: Vec<GroupOverrides>,
}

impl Default for Adadelta {
    fn default() -> Self {
        Self {
            lr: 1.0,
            rho: 0.9,
            eps: 1e-6,
            weight_decay: 0.0,
            maximize: false,
            groups: vec![],
        }
    }
}

named_optimizer!(Adadelta, AdadeltaOptimizer);

impl Rule for Adadelta {
    const NAME: &'static str = "adadelta";

    fn validate(&self) -> Result<(), OptimError> {
        non_negative(Self::NAME, "lr", self.lr)?;
        unit_interval(Self::NAME, "rho", self.rho)?;
        non_negative(Self::NAME, "eps", self.eps)?;
        non_negative(Self::NAME, "weight_decay", self.weight_decay)
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
        vec!["square_avg", "acc_delta"]
    }

    fn apply<E: Element>(&self, group: &Group, slot: &mut Slot<E>, x: &mut [E], g: &[E]) {
        let (neg_lr, wd, eps) = (E::of(-group.lr), E::of(group.weight_decay), E::of(self.eps));
        let (rho, one_rho) = (E::of(self.rho), E::of(1.0 - self.rho));
        let sign = if self.maximize { -E::one() } else { E::one() };
        let [v, u] = &mut slot.bufs[..] else {
            unreachable!("adadelta has two buffers")
        };
        zip3(x, g, v.as_mut_slice(), u.as_mut_slice(), |x, g, v, u| {
            let g = if wd != E::zero() {
                sign * g + wd * *x
            } else {
                sign * g
            };
            *v = *v * rho + one_rho * g * g;
            let delta = (*u + eps).sqrt() / (*v + eps).sqrt() * g;
            *u = *u * rho + one_rho * delta * delta;
            *x = *x + neg_lr * delta;
        });
    }
}
