//! Weight penalties: L2, L1 and the elastic net, as a value, a gradient and a tape term.

use downhill_autograd::{Tape, Var};
use downhill_tensor::{Element, Tensor};

use crate::error::{finite, non_negative};
use crate::{RegError, Result};

/// A penalty `R(W)` added to the loss to prefer small weights (the lecture's "prior
/// information": L2 is a Gaussian prior on the weights, L1 a Laplace prior).
///
/// ```text
/// L2:          R(W) = λ ‖W‖²            = λ Σ w²          ∇R = 2λ W
/// L1:          R(W) = λ ‖W‖₁            = λ Σ |w|         ∇R = λ sign(W)   (0 at w = 0)
/// elastic net: R(W) = λ₁ ‖W‖₁ + λ₂ ‖W‖²                  ∇R = λ₁ sign(W) + 2λ₂ W
/// ```
///
/// The elastic net is Zou & Hastie (2005), "Regularization and variable selection via the
/// elastic net". The lecture's slide writes it `β‖W‖² + ‖W‖₁`, a single strength on the L2
/// part; here both parts have their own strength (`λ₁ = 1, λ₂ = β` recovers the slide).
///
/// Note the factor: `λ‖W‖²` has gradient `2λW`, so PyTorch's `weight_decay = wd` in `SGD`
/// (which adds `wd·W` to the gradient) equals `Penalty::l2(wd / 2)`. Under Adam an L2 penalty
/// is *not* weight decay: its gradient is rescaled by Adam's per-coordinate step size, while
/// decoupled weight decay (Loshchilov & Hutter 2019, "Decoupled weight decay regularization",
/// PyTorch's `AdamW`) shrinks every weight by the same factor `1 − lr·wd`; the tests in
/// `tests/weight_decay.rs` show the difference step by step, against `downhill-optim`'s `Adam`
/// and `AdamW`.
///
/// ```
/// use downhill_reg::Penalty;
/// use downhill_tensor::Tensor;
/// let w = Tensor::<f64>::from_vec(&[2, 2], vec![1.0, -2.0, 0.0, 3.0]).unwrap();
/// let p = Penalty::elastic_net(0.1, 0.01).unwrap();
/// // 0.1·(1 + 2 + 0 + 3) + 0.01·(1 + 4 + 0 + 9)
/// assert!((p.value(&w).unwrap() - 0.74).abs() < 1e-12);
/// assert!(Penalty::l2(-1.0).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Penalty {
    /// `λ‖W‖²` (ridge, Tikhonov; "weight decay" under plain SGD).
    L2 {
        /// The strength `λ ≥ 0`.
        lambda: f64,
    },
    /// `λ‖W‖₁` (lasso); drives weights to exactly zero under proximal methods.
    L1 {
        /// The strength `λ ≥ 0`.
        lambda: f64,
    },
    /// `λ₁‖W‖₁ + λ₂‖W‖²` (Zou & Hastie 2005).
    ElasticNet {
        /// The L1 strength `λ₁ ≥ 0`.
        l1: f64,
        /// The L2 strength `λ₂ ≥ 0`.
        l2: f64,
    },
}

impl Penalty {
    /// `λ‖W‖²`.
    ///
    /// # Errors
    /// [`RegError::InvalidHyperparameter`] for a negative or non-finite `λ`.
    pub fn l2(lambda: f64) -> Result<Self> {
        let p = Penalty::L2 { lambda };
        p.validate().map(|()| p)
    }

    /// `λ‖W‖₁`.
    ///
    /// # Errors
    /// [`RegError::InvalidHyperparameter`] for a negative or non-finite `λ`.
    pub fn l1(lambda: f64) -> Result<Self> {
        let p = Penalty::L1 { lambda };
        p.validate().map(|()| p)
    }

    /// `λ₁‖W‖₁ + λ₂‖W‖²`.
    ///
    /// # Errors
    /// [`RegError::InvalidHyperparameter`] for a negative or non-finite strength.
    pub fn elastic_net(l1: f64, l2: f64) -> Result<Self> {
        let p = Penalty::ElasticNet { l1, l2 };
        p.validate().map(|()| p)
    }

    /// Checks the strengths (needed after deserializing a config).
    ///
    /// # Errors
    /// [`RegError::InvalidHyperparameter`] for a negative or non-finite strength.
    pub fn validate(&self) -> Result<()> {
        match *self {
            Penalty::L2 { lambda } | Penalty::L1 { lambda } => {
                non_negative("penalty", "lambda", lambda)
            }
            Penalty::ElasticNet { l1, l2 } => {
                non_negative("penalty", "l1", l1)?;
                non_negative("penalty", "l2", l2)
            }
        }
    }

    /// The strengths `(λ₁, λ₂)` of the L1 and L2 parts (zero for a part that is absent).
    pub fn strengths(&self) -> (f64, f64) {
        match *self {
            Penalty::L2 { lambda } => (0.0, lambda),
            Penalty::L1 { lambda } => (lambda, 0.0),
            Penalty::ElasticNet { l1, l2 } => (l1, l2),
        }
    }

    /// `R(W)`, computed in `f64` and rounded to `E`.
    ///
    /// # Errors
    /// An invalid strength; [`RegError::NonFinite`] when `w` holds NaN or infinity.
    pub fn value<E: Element>(&self, w: &Tensor<E>) -> Result<E> {
        self.validate()?;
        finite("penalty", "the parameter", w)?;
        let (l1, l2) = self.strengths();
        let (abs, sq) = w.as_slice().iter().fold((0.0, 0.0), |(a, s), &x| {
            let x = x.as_f64();
            (a + x.abs(), s + x * x)
        });
        Ok(E::of(l1 * abs + l2 * sq))
    }

    /// `∇R(W) = λ₁ sign(W) + 2λ₂ W` (the L1 subgradient is 0 at `w = 0`, as `torch.sign`).
    ///
    /// # Errors
    /// As [`Penalty::value`].
    pub fn gradient<E: Element>(&self, w: &Tensor<E>) -> Result<Tensor<E>> {
        let mut g = Tensor::zeros(w.shape());
        self.add_gradient(w, &mut g)?;
        Ok(g)
    }

    /// Adds `∇R(W)` into `grad` in place (gradients accumulate).
    ///
    /// # Errors
    /// As [`Penalty::value`]; a shape mismatch between `w` and `grad`.
    pub fn add_gradient<E: Element>(&self, w: &Tensor<E>, grad: &mut Tensor<E>) -> Result<()> {
        self.validate()?;
        finite("penalty", "the parameter", w)?;
        if w.shape() != grad.shape() {
            return Err(RegError::InvalidShape {
                op: "penalty",
                shape: grad.shape().to_vec(),
                reason: format!(
                    "gradient shape differs from the parameter's {:?}",
                    w.shape()
                ),
            });
        }
        let (l1, l2) = self.strengths();
        let (l1, two_l2) = (E::of(l1), E::of(2.0 * l2));
        for (g, &x) in grad.as_mut_slice().iter_mut().zip(w.as_slice()) {
            *g = *g + l1 * sign(x) + two_l2 * x;
        }
        Ok(())
    }

    /// Records `R(w)` on the tape as a differentiable scalar, to be added to the loss.
    ///
    /// ```text
    /// loss_total = loss + R(W)
    /// ```
    ///
    /// # Errors
    /// An invalid strength; [`RegError::NonFinite`] for a NaN or infinite value; tape errors.
    pub fn loss_term<E: Element>(&self, tape: &mut Tape<E>, w: Var) -> Result<Var> {
        self.validate()?;
        finite("penalty", "the parameter", tape.value(w)?)?;
        let (l1, l2) = self.strengths();
        let mut terms = Vec::with_capacity(2);
        if l1 > 0.0 || l2 == 0.0 {
            let a = tape.abs(w)?;
            let s = tape.sum(a)?;
            terms.push(tape.scale(s, E::of(l1))?);
        }
        if l2 > 0.0 {
            let sq = tape.mul(w, w)?;
            let s = tape.sum(sq)?;
            terms.push(tape.scale(s, E::of(l2))?);
        }
        match terms[..] {
            [one] => Ok(one),
            [a, b] => Ok(tape.add(a, b)?),
            _ => unreachable!("one or two terms are always recorded"),
        }
    }
}

/// −1, 0 or +1: the L1 subgradient, 0 at 0.
fn sign<E: Element>(x: E) -> E {
    if x > E::zero() {
        E::one()
    } else if x < E::zero() {
        -E::one()
    } else {
        E::zero()
    }
}
