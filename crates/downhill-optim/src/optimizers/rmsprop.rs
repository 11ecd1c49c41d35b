//! RMSprop (Hinton, Coursera lecture 6e).

use downhill_tensor::Element;

use crate::error::{non_negative, unit_interval};
use crate::fused::{Group, Rule, Slot};
use crate::kernel::{lerp, zip2, zip3, zip4};
use crate::optimizers::named_optimizer;
use crate::{GroupOverrides, OptimError};

/// RMSprop as `torch.optim.RMSprop` implements it (Hinton, Srivastava & Swersky, Coursera
/// "Neural Networks for Machine Learning", lecture 6e; centered variant: Graves 2013).
///
/// ```text
/// g ← −g if maximize;  g ← g + λ·x
/// v ← α·v + (1 − α)·g²
/// ḡ ← α·ḡ + (1 − α)·g;  d = √(v − ḡ²) + ε     if centered
///                        d = √v + ε            otherwise
/// b ← μ·b + g/d;  x ← x − lr·b                 if momentum μ > 0
/// x ← x − lr·g/d                                otherwise
/// ```
///
/// The lecture's slide writes `x −= α g / (cache + ε)`: the square root is missing there.
#[derive(Clone, Debug, PartialEq)]
pub struct RmsProp {
    /// Learning rate (default 1e-2).
    pub lr: f64,
    /// Smoothing constant α (default 0.99).
    pub alpha: f64,
    /// ε added to the root (default 1e-8).
    pub eps: f64,
    /// L2 penalty coefficient λ (default 0).
    pub weight_decay: f64,
    /// Momentum μ (default 0).
    pub momentum: f64,
    /// Normalize by the estimated variance instead of the second moment (default false).
    pub centered: bool,
    /// Maximize the objective instead (default false).
    pub maximize: bool,
    /// Extra parameter groups 1, 2, …
    pub groups: Vec<GroupOverrides>,
}

impl Default for RmsProp {
    fn default() -> Self {
        Self {
            lr: 1e-2,
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
            momentum: 0.0,
            centered: false,
            maximize: false,
            groups: vec![],
        }
    }
}

named_optimizer!(RmsProp, RmsPropOptimizer);

impl Rule for RmsProp {
    const NAME: &'static str = "rmsprop";

    fn validate(&self) -> Result<(), OptimError> {
        non_negative(Self::NAME, "lr", self.lr)?;
        non_negative(Self::NAME, "alpha", self.alpha)?;
        non_negative(Self::NAME, "eps", self.eps)?;
        non_negative(Self::NAME, "weight_decay", self.weight_decay)?;
        unit_interval(Self::NAME, "momentum", self.momentum)
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
        let mut names = vec!["square_avg"];
        if self.momentum > 0.0 {
            names.push("momentum_buffer");
        }
        if self.centered {
            names.push("grad_avg");
        }
        names
    }

    fn apply<E: Element>(&self, group: &Group, slot: &mut Slot<E>, x: &mut [E], g: &[E]) {
        let (neg_lr, wd, eps) = (E::of(-group.lr), E::of(group.weight_decay), E::of(self.eps));
        let (a, one_a, mu) = (
            E::of(self.alpha),
            E::of(1.0 - self.alpha),
            E::of(group.momentum),
        );
        let sign = if self.maximize { -E::one() } else { E::one() };
        let grad = move |x: E, g: E| {
            if wd != E::zero() {
                sign * g + wd * x
            } else {
                sign * g
            }
        };
        match &mut slot.bufs[..] {
            [v] => zip2(x, g, v.as_mut_slice(), |x, g, v| {
                let g = grad(*x, g);
                *v = *v * a + one_a * g * g;
                *x = *x + neg_lr * (g / (v.sqrt() + eps));
            }),
            [v, b] if self.momentum > 0.0 => {
                zip3(x, g, v.as_mut_slice(), b.as_mut_slice(), |x, g, v, b| {
                    let g = grad(*x, g);
                    *v = *v * a + one_a * g * g;
                    *b = *b * mu + g / (v.sqrt() + eps);
                    *x = *x + neg_lr * *b;
                })
            }
            [v, c] => zip3(x, g, v.as_mut_slice(), c.as_mut_slice(), |x, g, v, c| {
                let g = grad(*x, g);
                *v = *v * a + one_a * g * g;
                *c = lerp(*c, g, one_a);
                *x = *x + neg_lr * (g / ((*v - *c * *c).sqrt() + eps));
            }),
            [v, b, c] => zip4(
                x,
                g,
                v.as_mut_slice(),
                b.as_mut_slice(),
                c.as_mut_slice(),
                |x, g, v, b, c| {
                    let g = grad(*x, g);
                    *v = *v * a + one_a * g * g;
                    *c = lerp(*c, g, one_a);
                    *b = *b * mu + g / ((*v - *c * *c).sqrt() + eps);
                    *x = *x + neg_lr * *b;
                },
            ),
            _ => unreachable!("rmsprop has one to three buffers"),
        }
    }
}
