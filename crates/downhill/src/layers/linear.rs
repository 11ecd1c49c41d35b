//! The fully connected layer.

use downhill_autograd::{ParamId, ParamStore, Tape, Var};
use downhill_init::Init;
use downhill_tensor::Element;

use super::{Forward, Module};
use crate::{DefaultRng, Error, Result};

/// A fully connected layer `y = x·Wᵀ + b`, with `W: [out, in]` and `b: [out]` as PyTorch's
/// `nn.Linear` (so checkpoints load into PyTorch unchanged).
///
/// The weight is initialized by the chosen [`Init`] scheme; with none, PyTorch's default
/// (`U(±1/√in)` for weight and bias), so a ported recipe starts from the same distribution.
#[derive(Debug, Clone)]
pub struct Linear {
    weight: ParamId,
    bias: Option<ParamId>,
    inputs: usize,
    outputs: usize,
}

impl Linear {
    /// Registers `"{prefix}weight"` (and `"{prefix}bias"`) in `store` and returns the layer.
    ///
    /// # Errors
    /// [`Error::Config`] for a size of 0; an initialization error.
    pub fn new<E: Element>(
        store: &mut ParamStore<E>,
        prefix: &str,
        inputs: usize,
        outputs: usize,
        init: Option<Init>,
        bias: bool,
        rng: &mut DefaultRng,
    ) -> Result<Self> {
        if inputs == 0 || outputs == 0 {
            return Err(Error::config(
                "layer size",
                format!("Linear({inputs} → {outputs}): sizes must be at least 1"),
            ));
        }
        let init = init.unwrap_or(Init::PytorchDefault);
        let shape = [outputs, inputs];
        let w = init.sample::<E>(rng, &shape)?;
        let weight = store.add(format!("{prefix}weight"), w)?;
        let bias = if bias {
            let b_init = match init {
                Init::PytorchDefault => init.bias_init_for(&shape)?,
                _ => Init::Zeros,
            };
            let b = b_init.sample::<E>(rng, &[outputs])?;
            Some(store.add(format!("{prefix}bias"), b)?)
        } else {
            None
        };
        Ok(Self {
            weight,
            bias,
            inputs,
            outputs,
        })
    }

    /// The weight's parameter id.
    pub fn weight(&self) -> ParamId {
        self.weight
    }

    /// The bias's parameter id, if the layer has one.
    pub fn bias(&self) -> Option<ParamId> {
        self.bias
    }
}

impl<E: Element> Module<E> for Linear {
    fn describe(&self) -> String {
        format!("Linear({} → {})", self.inputs, self.outputs)
    }

    fn forward(&mut self, tape: &mut Tape<E>, x: Var, _fwd: &mut Forward<'_>) -> Result<Var> {
        let w = tape.param(self.weight)?;
        let b = self.bias.map(|b| tape.param(b)).transpose()?;
        Ok(tape.linear(x, w, b)?)
    }

    fn output_features(&self, _input: usize) -> usize {
        self.outputs
    }
}
