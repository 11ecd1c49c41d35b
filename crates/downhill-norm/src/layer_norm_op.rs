//! Layer norm as a tape operation with a fused backward.

use downhill_autograd::CustomOp;
use downhill_tensor::{Element, Tensor};

use crate::{LayerNormGrads, RowStats, layer_norm_backward};

/// The recorded layer-norm op: inputs `[x, γ?, β?]`, `γ` and `β` of the normalized shape.
pub(crate) struct LayerNormOp<E> {
    pub(crate) d: usize,
    pub(crate) stats: RowStats<E>,
    pub(crate) has_weight: bool,
    pub(crate) has_bias: bool,
}

impl<E: Element> CustomOp<E> for LayerNormOp<E> {
    fn name(&self) -> &str {
        "layer_norm"
    }

    fn backward(
        &self,
        inputs: &[&Tensor<E>],
        _output: &Tensor<E>,
        grad_output: &Tensor<E>,
    ) -> downhill_autograd::Result<Vec<Option<Tensor<E>>>> {
        let x = inputs[0];
        let gamma = self.has_weight.then(|| inputs[1].as_slice());
        let (mut dx, mut dgamma, mut dbeta) = (
            Tensor::zeros(x.shape()),
            vec![E::zero(); self.d],
            vec![E::zero(); self.d],
        );
        layer_norm_backward(
            x.as_slice(),
            grad_output.as_slice(),
            self.d,
            &self.stats,
            gamma,
            LayerNormGrads {
                dx: dx.as_mut_slice(),
                dgamma: &mut dgamma,
                dbeta: &mut dbeta,
            },
        );
        let mut grads = vec![Some(dx)];
        for (used, g) in [(self.has_weight, dgamma), (self.has_bias, dbeta)] {
            if used {
                let shape = inputs[grads.len()].shape();
                grads.push(Some(Tensor::from_vec(shape, g)?));
            }
        }
        Ok(grads)
    }
}
