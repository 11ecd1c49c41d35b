//! Flattening all but the batch axis.

use downhill_autograd::{Tape, Var};
use downhill_tensor::Element;

use super::{Forward, Module};
use crate::Result;

/// Reshapes `[N, d₁, d₂, …]` to `[N, d₁·d₂·…]` (PyTorch's `nn.Flatten`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Flatten;

impl<E: Element> Module<E> for Flatten {
    fn describe(&self) -> String {
        "Flatten".into()
    }

    fn forward(&mut self, tape: &mut Tape<E>, x: Var, _fwd: &mut Forward<'_>) -> Result<Var> {
        let shape = tape.value(x)?.shape().to_vec();
        if shape.len() <= 2 {
            return Ok(x);
        }
        let rest: usize = shape[1..].iter().product();
        Ok(tape.reshape(x, &[shape[0], rest])?)
    }
}
