//! Additive Gaussian noise, in training only.

use downhill_autograd::{Tape, Var};
use downhill_tensor::{Element, Tensor};
use rand::{Rng, RngExt};
use rand_distr::StandardNormal;

use crate::error::non_negative;
use crate::{Mode, Result};

/// Additive Gaussian noise: a noise layer whose noise is marginalized (dropped) at test time.
///
/// ```text
/// training:  y = x + σ·ε,  ε ~ N(0, I)     (∂y/∂x = I)
/// inference: y = x
/// ```
///
/// For a linear model with squared loss, training on inputs with this noise is equivalent in
/// expectation to an L2 penalty (Bishop 1995, "Training with noise is equivalent to Tikhonov
/// regularization").
///
/// ```
/// use downhill_reg::{GaussianNoise, Mode};
/// use downhill_tensor::Tensor;
/// use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
///
/// let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
/// let mut x = Tensor::<f32>::zeros(&[100]);
/// GaussianNoise::new(0.1).unwrap().apply(&mut x, Mode::Eval, &mut rng).unwrap();
/// assert!(x.as_slice().iter().all(|&v| v == 0.0)); // identity at test time
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GaussianNoise {
    /// The standard deviation `σ ≥ 0`.
    pub std: f64,
}

impl GaussianNoise {
    /// Noise of standard deviation `std`.
    ///
    /// # Errors
    /// [`RegError::InvalidHyperparameter`](crate::RegError) for a negative or non-finite `std`.
    pub fn new(std: f64) -> Result<Self> {
        let n = Self { std };
        n.validate().map(|()| n)
    }

    /// Checks `σ ≥ 0` (needed after deserializing a config).
    ///
    /// # Errors
    /// As [`GaussianNoise::new`].
    pub fn validate(&self) -> Result<()> {
        non_negative("gaussian_noise", "std", self.std)
    }

    /// A tensor of `N(0, σ²)` samples.
    pub fn sample<E: Element, R: Rng + ?Sized>(&self, shape: &[usize], rng: &mut R) -> Tensor<E> {
        let mut t = Tensor::zeros(shape);
        add_normal(t.as_mut_slice(), self.std, rng);
        t
    }

    /// Adds noise to `x` in place in training; leaves it unchanged in inference.
    ///
    /// # Errors
    /// An invalid `std`.
    pub fn apply<E: Element, R: Rng + ?Sized>(
        &self,
        x: &mut Tensor<E>,
        mode: Mode,
        rng: &mut R,
    ) -> Result<()> {
        self.validate()?;
        if mode == Mode::Train {
            add_normal(x.as_mut_slice(), self.std, rng);
        }
        Ok(())
    }

    /// On the tape: records `x + σε` in training (the noise as a constant, so the gradient
    /// passes through unchanged); returns `x` itself in inference.
    ///
    /// # Errors
    /// An invalid `std`; tape errors.
    pub fn forward<E: Element, R: Rng + ?Sized>(
        &self,
        tape: &mut Tape<E>,
        x: Var,
        mode: Mode,
        rng: &mut R,
    ) -> Result<Var> {
        self.validate()?;
        match mode {
            Mode::Train => {
                let eps = self.sample(tape.value(x)?.shape(), rng);
                let eps = tape.constant(eps);
                Ok(tape.add(x, eps)?)
            }
            Mode::Eval => Ok(x),
        }
    }
}

/// Adds `σ·ε`, `ε ~ N(0, 1)` drawn in f64, to every element.
pub(crate) fn add_normal<E: Element, R: Rng + ?Sized>(xs: &mut [E], std: f64, rng: &mut R) {
    for x in xs {
        let e: f64 = rng.sample(StandardNormal);
        *x = *x + E::of(std * e);
    }
}
