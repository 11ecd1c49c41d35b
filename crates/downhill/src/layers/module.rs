//! The layer trait.

use downhill_autograd::{Tape, Var};
use downhill_tensor::{Element, Tensor};

use crate::{DefaultRng, Error, Mode, Result};

/// What a forward pass needs besides the input: the mode and the random source for noise layers.
#[derive(Debug)]
pub struct Forward<'a> {
    /// Training or evaluation (dropout, noise and batch norm behave differently).
    pub mode: Mode,
    /// The generator that dropout masks and noise draw from (seeded: runs repeat exactly).
    pub rng: &'a mut DefaultRng,
}

/// A layer: records its forward computation on the tape.
///
/// Parameters are registered in the tape's [`ParamStore`](downhill_autograd::ParamStore) when
/// the layer is built, under hierarchical names (`"0.weight"`, as PyTorch's `state_dict`);
/// state that is not trained (batch norm's running statistics) is exposed as *buffers* so that
/// checkpoints can save and restore it.
///
/// Implement this trait for a custom layer (see `examples/custom_layer.rs`).
pub trait Module<E: Element>: Send {
    /// A short description, e.g. `"Linear(64 → 10)"`.
    fn describe(&self) -> String;

    /// Records the layer's forward computation on `tape` for input `x`.
    ///
    /// # Errors
    /// Shapes that do not fit the layer (named in the message), or a failing kernel.
    fn forward(&mut self, tape: &mut Tape<E>, x: Var, fwd: &mut Forward<'_>) -> Result<Var>;

    /// The number of output features for `input` input features (layers that keep the width
    /// return `input`).
    fn output_features(&self, input: usize) -> usize {
        input
    }

    /// Non-trained state, by full name (e.g. `"1.running_mean"`), in PyTorch's order.
    fn buffers(&self) -> Vec<(String, &Tensor<E>)> {
        Vec::new()
    }

    /// Replaces the buffer with this full name (checkpoint loading), checking its shape.
    ///
    /// # Errors
    /// [`Error::Checkpoint`]-style errors for an unknown name or a wrong shape.
    fn set_buffer(&mut self, name: &str, value: Tensor<E>) -> Result<()> {
        let _ = value;
        Err(Error::Data(format!(
            "{} has no buffer named {name:?}",
            self.describe()
        )))
    }
}
