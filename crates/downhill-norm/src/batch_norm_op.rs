//! Batch norm as a tape operation with a fused backward.

use downhill_autograd::{AutogradError, CustomOp};
use downhill_tensor::{Element, Tensor};

use crate::{BatchNormGrads, ChannelLayout, ChannelStats, batch_norm_backward};

/// The recorded batch-norm op: inputs `[x]` or `[x, γ, β]`; keeps the statistics it used so
/// that backward recomputes `x̂` from `x` instead of storing it.
pub(crate) struct BatchNormOp<E> {
    pub(crate) layout: ChannelLayout,
    pub(crate) stats: ChannelStats<E>,
    pub(crate) batch_stats: bool,
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
        let x = inputs.first().ok_or_else(|| AutogradError::Custom {
            op: "batch_norm".into(),
            message: "no input recorded".into(),
        })?;
        let gamma = inputs.get(1).map(|t| t.as_slice());
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
        Ok(match inputs.len() {
            1 => vec![Some(dx)],
            _ => vec![Some(dx), Some(dgamma), Some(dbeta)],
        })
    }
}
