//! Normalization layers over `downhill-norm`: batch norm and layer norm.

use downhill_autograd::{ParamStore, Tape, Var};
use downhill_norm::{BatchNorm, BatchNormConfig, LayerNorm, LayerNormConfig};
use downhill_tensor::{Element, Tensor};

use super::{Forward, Module};
use crate::Result;

/// `nn.BatchNorm1d(C)`: normalizes each feature over the batch (see [`downhill_norm::BatchNorm`]).
/// Parameters `weight` (γ) and `bias` (β); buffers `running_mean`, `running_var`,
/// `num_batches_tracked`.
#[derive(Debug)]
pub struct BatchNorm1d<E: Element>(BatchNorm<E>);

impl<E: Element> BatchNorm1d<E> {
    /// Registers the layer's parameters under `prefix`.
    ///
    /// # Errors
    /// An invalid configuration (e.g. negative `eps`, momentum outside [0, 1]).
    pub fn new(store: &mut ParamStore<E>, prefix: &str, config: BatchNormConfig) -> Result<Self> {
        Ok(Self(BatchNorm::new_1d(config, store, prefix)?))
    }

    /// The wrapped layer.
    pub fn inner(&self) -> &BatchNorm<E> {
        &self.0
    }
}

impl<E: Element> Module<E> for BatchNorm1d<E> {
    fn describe(&self) -> String {
        format!("BatchNorm1d({})", self.0.config().num_features)
    }

    fn forward(&mut self, tape: &mut Tape<E>, x: Var, fwd: &mut Forward<'_>) -> Result<Var> {
        Ok(self.0.forward(tape, x, fwd.mode)?)
    }

    fn buffers(&self) -> Vec<(String, &Tensor<E>)> {
        self.0.buffers()
    }

    fn set_buffer(&mut self, name: &str, value: Tensor<E>) -> Result<()> {
        Ok(self.0.load_buffer(name, &value)?)
    }
}

/// `nn.LayerNorm(D)`: normalizes each row over its features (see [`downhill_norm::LayerNorm`]).
#[derive(Debug)]
pub struct LayerNormLayer<E: Element>(LayerNorm<E>);

impl<E: Element> LayerNormLayer<E> {
    /// Registers the layer's parameters under `prefix`.
    ///
    /// # Errors
    /// An invalid configuration.
    pub fn new(store: &mut ParamStore<E>, prefix: &str, config: LayerNormConfig) -> Result<Self> {
        Ok(Self(LayerNorm::new(config, store, prefix)?))
    }
}

impl<E: Element> Module<E> for LayerNormLayer<E> {
    fn describe(&self) -> String {
        format!("LayerNorm({:?})", self.0.config().normalized_shape)
    }

    fn forward(&mut self, tape: &mut Tape<E>, x: Var, _fwd: &mut Forward<'_>) -> Result<Var> {
        Ok(self.0.forward(tape, x)?)
    }
}
