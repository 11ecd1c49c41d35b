//! Dropout: random units zeroed in training, with the mask reused by backward.

use downhill_autograd::{CustomOp, Tape, Var};
use downhill_tensor::{Element, Tensor};
use rand::{Rng, RngExt};

use crate::error::probability;
use crate::{Mode, Result};

/// Where dropout's `1/(1−p)` normalization happens.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum DropoutScaling {
    /// Inverted dropout (the default, as PyTorch): kept units are scaled by `1/(1−p)` in
    /// training, and inference is the identity.
    #[default]
    Inverted,
    /// The lecture slide's form (and the original paper's): no scaling in training, outputs
    /// scaled by `1−p` at test. Equal to [`DropoutScaling::Inverted`] in expectation, up to the
    /// constant factor `1−p` carried by the next layer's weights.
    AtTest,
}

/// Dropout (Srivastava, Hinton, Krizhevsky, Sutskever, Salakhutdinov 2014, "Dropout: a simple
/// way to prevent neural networks from overfitting"): each unit is zeroed independently with
/// probability `p` during training.
///
/// ```text
/// training:  mᵢ ~ Bernoulli(1 − p),  yᵢ = mᵢ · xᵢ / (1 − p)     (inverted; 0 when p = 1)
/// inference: y = x
/// E[y] = x in both modes
/// ```
///
/// The lecture's slide says "on test, output should be normalized": that is the
/// [`DropoutScaling::AtTest`] form (`y = m ⊙ x` in training, `y = (1 − p) x` at test). The
/// inverted form implemented by default moves the normalization into training so inference
/// needs no change; the two agree in expectation (a statistical test checks it).
///
/// The mask is drawn from the caller's seeded generator, so a run repeats bit for bit, and is
/// kept by the recorded op so backward multiplies the incoming gradient by the same mask.
///
/// ```
/// use downhill_autograd::Tape;
/// use downhill_reg::{Dropout, Mode};
/// use downhill_tensor::Tensor;
/// use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
///
/// let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
/// let mut tape = Tape::<f32>::new();
/// let x = tape.input(Tensor::ones(&[4, 8]));
/// let y = Dropout::new(0.5).unwrap().forward(&mut tape, x, Mode::Train, &mut rng).unwrap();
/// assert!(tape.value(y).unwrap().as_slice().iter().all(|&v| v == 0.0 || v == 2.0));
/// assert!(Dropout::new(1.5).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Dropout {
    /// The probability `p ∈ [0, 1]` of zeroing a unit.
    pub p: f64,
    /// Where the normalization happens (default [`DropoutScaling::Inverted`]).
    #[serde(default)]
    pub scaling: DropoutScaling,
}

impl Dropout {
    /// Inverted dropout with drop probability `p`.
    ///
    /// # Errors
    /// [`RegError::InvalidHyperparameter`](crate::RegError) for `p` outside `[0, 1]` or NaN.
    pub fn new(p: f64) -> Result<Self> {
        Self::with_scaling(p, DropoutScaling::Inverted)
    }

    /// Dropout with the given normalization convention.
    ///
    /// # Errors
    /// As [`Dropout::new`].
    pub fn with_scaling(p: f64, scaling: DropoutScaling) -> Result<Self> {
        let d = Self { p, scaling };
        d.validate().map(|()| d)
    }

    /// Checks `p ∈ [0, 1]` (needed after deserializing a config).
    ///
    /// # Errors
    /// As [`Dropout::new`].
    pub fn validate(&self) -> Result<()> {
        probability("dropout", "p", self.p)
    }

    /// The multiplier a kept unit receives in training: `1/(1−p)` (inverted), 1 (at test), and
    /// 0 when `p = 1` (every unit is dropped, never `0 · ∞ = NaN`).
    pub fn train_scale(&self) -> f64 {
        match self.scaling {
            DropoutScaling::Inverted if self.p < 1.0 => 1.0 / (1.0 - self.p),
            DropoutScaling::Inverted => 0.0,
            DropoutScaling::AtTest => 1.0,
        }
    }

    /// The multiplier applied in inference: 1 (inverted) or `1 − p` (at test).
    pub fn eval_scale(&self) -> f64 {
        match self.scaling {
            DropoutScaling::Inverted => 1.0,
            DropoutScaling::AtTest => 1.0 - self.p,
        }
    }

    /// Draws a training mask of multipliers: each element is 0 with probability `p`, otherwise
    /// [`Dropout::train_scale`].
    pub fn sample_mask<E: Element, R: Rng + ?Sized>(
        &self,
        shape: &[usize],
        rng: &mut R,
    ) -> Tensor<E> {
        let mut mask = Tensor::zeros(shape);
        let keep = E::of(self.train_scale());
        for m in mask.as_mut_slice() {
            // random() is in [0, 1): p = 0 keeps everything, p = 1 nothing. A select, not a
            // branch: at p = 0.5 a branch would be mispredicted half the time.
            let kept = rng.random::<f64>() >= self.p;
            *m = if kept { keep } else { E::zero() };
        }
        mask
    }

    /// Dropout on a plain tensor (no tape).
    ///
    /// # Errors
    /// An invalid `p` (from a deserialized config).
    pub fn forward_tensor<E: Element, R: Rng + ?Sized>(
        &self,
        x: &Tensor<E>,
        mode: Mode,
        rng: &mut R,
    ) -> Result<Tensor<E>> {
        self.validate()?;
        match mode {
            Mode::Train => Ok(hadamard(x, &self.sample_mask(x.shape(), rng))),
            Mode::Eval => Ok(x.scale(E::of(self.eval_scale()))),
        }
    }

    /// Dropout on the tape: in training, draws a mask and records `y = m ⊙ x` (see
    /// [`Dropout::forward_with_mask`]); in inference, returns `x` itself (inverted) or records
    /// `(1 − p) x` (at test). No random number is drawn in inference.
    ///
    /// # Errors
    /// An invalid `p`; tape errors.
    pub fn forward<E: Element, R: Rng + ?Sized>(
        &self,
        tape: &mut Tape<E>,
        x: Var,
        mode: Mode,
        rng: &mut R,
    ) -> Result<Var> {
        self.validate()?;
        match (mode, self.scaling) {
            (Mode::Train, _) => {
                let mask = self.sample_mask(tape.value(x)?.shape(), rng);
                self.forward_with_mask(tape, x, mask)
            }
            (Mode::Eval, DropoutScaling::Inverted) => Ok(x),
            (Mode::Eval, DropoutScaling::AtTest) => Ok(tape.scale(x, E::of(1.0 - self.p))?),
        }
    }

    /// Records `y = mask ⊙ x` with a given mask of multipliers (e.g. from
    /// [`Dropout::sample_mask`]); backward returns `mask ⊙ ∂L/∂y`.
    ///
    /// # Errors
    /// A mask whose shape differs from `x`'s; tape errors.
    pub fn forward_with_mask<E: Element>(
        &self,
        tape: &mut Tape<E>,
        x: Var,
        mask: Tensor<E>,
    ) -> Result<Var> {
        let xv = tape.value(x)?;
        if xv.shape() != mask.shape() {
            return Err(crate::RegError::InvalidShape {
                op: "dropout",
                shape: mask.shape().to_vec(),
                reason: format!("mask shape differs from the input's {:?}", xv.shape()),
            });
        }
        let y = hadamard(xv, &mask);
        Ok(tape.custom(&[x], y, Box::new(DropoutOp { mask }))?)
    }
}

/// The recorded dropout op: keeps its mask for backward.
struct DropoutOp<E: Element> {
    mask: Tensor<E>,
}

impl<E: Element> CustomOp<E> for DropoutOp<E> {
    fn name(&self) -> &str {
        "dropout"
    }

    fn backward(
        &self,
        _inputs: &[&Tensor<E>],
        _output: &Tensor<E>,
        grad_output: &Tensor<E>,
    ) -> downhill_autograd::Result<Vec<Option<Tensor<E>>>> {
        if grad_output.shape() != self.mask.shape() {
            return Err(downhill_autograd::AutogradError::GradShape {
                op: "dropout".to_string(),
                grad: grad_output.shape().to_vec(),
                value: self.mask.shape().to_vec(),
            });
        }
        Ok(vec![Some(hadamard(grad_output, &self.mask))])
    }
}

/// `a ⊙ b` for tensors of equal shape (checked by the callers), without broadcasting overhead.
fn hadamard<E: Element>(a: &Tensor<E>, b: &Tensor<E>) -> Tensor<E> {
    debug_assert_eq!(a.shape(), b.shape());
    let mut out = a.clone();
    for (o, &m) in out.as_mut_slice().iter_mut().zip(b.as_slice()) {
        *o = *o * m;
    }
    out
}
