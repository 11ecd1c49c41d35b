//! Noise layers over `downhill-reg`: dropout and Gaussian noise (active in training only).

use downhill_autograd::{Tape, Var};
use downhill_reg::{Dropout, GaussianNoise};
use downhill_tensor::Element;

use super::{Forward, Module};
use crate::{Result, reg_mode};

/// `nn.Dropout(p)`: inverted dropout (kept units scaled by `1/(1−p)` in training, identity in
/// evaluation). See [`downhill_reg::Dropout`].
#[derive(Debug, Clone)]
pub struct DropoutLayer(pub Dropout);

impl<E: Element> Module<E> for DropoutLayer {
    fn describe(&self) -> String {
        format!("Dropout(p={})", self.0.p)
    }

    fn forward(&mut self, tape: &mut Tape<E>, x: Var, fwd: &mut Forward<'_>) -> Result<Var> {
        Ok(self.0.forward(tape, x, reg_mode(fwd.mode), fwd.rng)?)
    }
}

/// Additive Gaussian noise `x + σε` in training, identity in evaluation. See
/// [`downhill_reg::GaussianNoise`].
#[derive(Debug, Clone)]
pub struct GaussianNoiseLayer(pub GaussianNoise);

impl<E: Element> Module<E> for GaussianNoiseLayer {
    fn describe(&self) -> String {
        format!("GaussianNoise(std={})", self.0.std)
    }

    fn forward(&mut self, tape: &mut Tape<E>, x: Var, fwd: &mut Forward<'_>) -> Result<Var> {
        Ok(self.0.forward(tape, x, reg_mode(fwd.mode), fwd.rng)?)
    }
}
