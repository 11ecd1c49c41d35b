//! Adam (Kingma & Ba 2015), with optional AMSGrad and decoupled weight decay.

use downhill_tensor::Element;

use crate::error::{non_negative, unit_interval};
use crate::fused::{Group, Rule, Slot};
use crate::kernel::{lerp, zip3, zip4};
use crate::optimizers::named_optimizer;
use crate::{GroupOverrides, OptimError};

/// Adam as `torch.optim.Adam` implements it (Kingma & Ba 2015, "Adam: A Method for Stochastic
/// Optimization"; AMSGrad: Reddi et al. 2018).
///
/// ```text
/// g ← −g if maximize
/// g ← g + λ·x                      (weight_decay λ as an L2 penalty, the default)
/// x ← x·(1 − lr·λ)                 (instead, if decoupled_weight_decay: AdamW)
/// m ← β₁·m + (1 − β₁)·g
/// v ← β₂·v + (1 − β₂)·g²
/// v̄ ← max(v̄, v) if amsgrad, else v
/// x ← x − lr/(1 − β₁ᵗ) · m / (√v̄ / √(1 − β₂ᵗ) + ε)
/// ```
///
/// The lecture's "not quite Adam" slide has neither the square root nor the bias correction.
///
/// # Why bias correction matters
///
/// `m` and `v` start at zero, so early on they are biased towards zero: after one step
/// `m = (1 − β₁)·g` and `v = (1 − β₂)·g²`. Without correction the first update is
/// `lr·(1 − β₁)·g / (√(1 − β₂)·|g| + ε) = lr·0.1/0.0316 ≈ 3.16·lr` per coordinate with
/// the default betas — three times the intended step, and for β₂ = 0.9999 ten times; when
/// `(1 − β₁) < √(1 − β₂)` it is instead too small. With correction, `m̂ = g` and `v̂ = g²`, so
/// the first step is `lr·sign(g)` (up to ε), exactly the intended size. The test
/// `bias_correction_first_steps` demonstrates it.
#[derive(Clone, Debug, PartialEq)]
pub struct Adam {
    /// Learning rate (default 1e-3).
    pub lr: f64,
    /// Decay rates (β₁, β₂) of the moment estimates (default (0.9, 0.999)).
    pub betas: (f64, f64),
    /// ε added to the denominator (default 1e-8).
    pub eps: f64,
    /// Weight decay λ (default 0), an L2 penalty unless `decoupled_weight_decay`.
    pub weight_decay: f64,
    /// Use AMSGrad's running maximum of v (default false).
    pub amsgrad: bool,
    /// Decoupled weight decay as in AdamW (default false).
    pub decoupled_weight_decay: bool,
    /// Maximize the objective instead (default false).
    pub maximize: bool,
    /// Extra parameter groups 1, 2, …
    pub groups: Vec<GroupOverrides>,
}

impl Default for Adam {
    fn default() -> Self {
        Self {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            amsgrad: false,
            decoupled_weight_decay: false,
            maximize: false,
            groups: vec![],
        }
    }
}

named_optimizer!(Adam, AdamOptimizer);

/// Checks lr, betas, eps and weight decay of an Adam-family optimizer.
pub(crate) fn validate_adam(
    name: &'static str,
    lr: f64,
    betas: (f64, f64),
    eps: f64,
    wd: f64,
) -> Result<(), OptimError> {
    non_negative(name, "lr", lr)?;
    unit_interval(name, "betas.0", betas.0)?;
    unit_interval(name, "betas.1", betas.1)?;
    non_negative(name, "eps", eps)?;
    non_negative(name, "weight_decay", wd)
}

impl Rule for Adam {
    const NAME: &'static str = "adam";

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
        if self.amsgrad {
            vec!["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]
        } else {
            vec!["exp_avg", "exp_avg_sq"]
        }
    }

    fn apply<E: Element>(&self, group: &Group, slot: &mut Slot<E>, x: &mut [E], g: &[E]) {
        adam_step(self, group, slot, x, g);
    }
}

/// The fused Adam update shared by [`Adam`] and [`AdamW`](crate::AdamW).
pub(crate) fn adam_step<E: Element>(
    cfg: &Adam,
    group: &Group,
    slot: &mut Slot<E>,
    x: &mut [E],
    g: &[E],
) {
    let t = slot.step as f64;
    let (b1, b2) = (group.momentum, cfg.betas.1);
    let step_size = group.lr / (1.0 - b1.powf(t));
    let bc2_sqrt = E::of((1.0 - b2.powf(t)).sqrt());
    let neg_step = E::of(-step_size);
    let (w1, b2e, w2, eps) = (E::of(1.0 - b1), E::of(b2), E::of(1.0 - b2), E::of(cfg.eps));
    let wd = if cfg.decoupled_weight_decay {
        0.0
    } else {
        group.weight_decay
    };
    let (wd, shrink) = (E::of(wd), E::of(1.0 - group.lr * group.weight_decay));
    let shrink = if cfg.decoupled_weight_decay && group.weight_decay != 0.0 {
        shrink
    } else {
        E::one()
    };
    let sign = if cfg.maximize { -E::one() } else { E::one() };
    let grad = move |x: E, g: E| {
        if wd != E::zero() {
            sign * g + wd * x
        } else {
            sign * g
        }
    };
    match &mut slot.bufs[..] {
        [m, v] => zip3(x, g, m.as_mut_slice(), v.as_mut_slice(), |x, g, m, v| {
            let g = grad(*x, g);
            *x = *x * shrink;
            *m = lerp(*m, g, w1);
            *v = *v * b2e + w2 * g * g;
            *x = *x + neg_step * (*m / (v.sqrt() / bc2_sqrt + eps));
        }),
        [m, v, vmax] => zip4(
            x,
            g,
            m.as_mut_slice(),
            v.as_mut_slice(),
            vmax.as_mut_slice(),
            |x, g, m, v, vmax| {
                let g = grad(*x, g);
                *x = *x * shrink;
                *m = lerp(*m, g, w1);
                *v = *v * b2e + w2 * g * g;
                *vmax = vmax.max(*v);
                *x = *x + neg_step * (*m / (vmax.sqrt() / bc2_sqrt + eps));
            },
        ),
        _ => unreachable!("adam has two or three buffers"),
    }
}
