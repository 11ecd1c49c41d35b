//! Batch norm as a tape operation with a fused backward.

use downhill_autograd::CustomOp;
use downhill_tensor::{Element, Tensor};

use crate::{BatchNormGrads, ChannelLayout, ChannelStats, batch_norm_backward};

/// The recorded batch-norm op: inputs `[x, γ?, β?]`; keeps the statistics it used so that
/// backward recomputes `x̂` from `x` instead of storing it.
pub(crate) struct BatchNormOp<E> {
    pub(crate) layout: ChannelLayout,
    pub(crate) stats: ChannelStats<E>,
    pub(crate) batch_stats: bool,
    pub(crate) has_weight: bool,
    pub(crate) has_bias: bool,
}

impl<E: Element> CustomOp<E> for BatchNormOp<E> {
    fn name(&self) -> &str {
        "batch_norm"
    }

    fn backward(
        &self,
        inputs: &[&Tensor<E>],
        _output: &Tensor<E>,
        grad_output: &Tensor<E>,
    ) -> downhill_autograd::Result<Vec<Option<Tensor<E>>>> {
        let x = inputs[0];
        let gamma = self.has_weight.then(|| inputs[1].as_slice());
        let c = self.layout.channels;
        let mut dx = Tensor::zeros(x.shape());
        let (mut dgamma, mut dbeta) = (Tensor::zeros(&[c]), Tensor::zeros(&[c]));
        batch_norm_backward(
            x.as_slice(),
            grad_output.as_slice(),
            self.layout,
            &self.stats,
            gamma,
            self.batch_stats,
            BatchNormGrads {
                dx: dx.as_mut_slice(),
                dgamma: dgamma.as_mut_slice(),
                dbeta: dbeta.as_mut_slice(),
            },
        );
        let mut grads = vec![Some(dx)];
        if self.has_weight {
            grads.push(Some(dgamma));
        }
        if self.has_bias {
            grads.push(Some(dbeta));
        }
        Ok(grads)
    }
}
