//! Running estimates of a batch-norm layer: the buffers a checkpoint stores.

use downhill_tensor::{Element, Tensor};

use crate::{ChannelStats, NormError, Result};

/// The running mean, running variance and batch count of a batch-norm layer (PyTorch's
/// buffers `running_mean` (zeros), `running_var` (ones), `num_batches_tracked` (0)).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RunningStats<E: Element> {
    pub(crate) mean: Tensor<E>,
    pub(crate) var: Tensor<E>,
    /// A scalar tensor (shape `[]`), as PyTorch's; exact up to 2²⁴ batches in f32.
    pub(crate) num_batches_tracked: Tensor<E>,
}

impl<E: Element> RunningStats<E> {
    pub(crate) fn new(channels: usize) -> Self {
        Self {
            mean: Tensor::zeros(&[channels]),
            var: Tensor::ones(&[channels]),
            num_batches_tracked: Tensor::zeros(&[]),
        }
    }

    pub(crate) fn count(&self) -> u64 {
        self.num_batches_tracked.as_slice()[0].as_f64().round() as u64
    }

    /// One training step's update; the variance estimate is the *unbiased* batch variance.
    ///
    /// ```text
    /// f = momentum, or 1/num_batches_tracked when momentum is None
    /// running_mean := (1 − f)·running_mean + f·μ_B
    /// running_var  := (1 − f)·running_var  + f·σ²_B·M/(M − 1)
    /// ```
    pub(crate) fn update(&mut self, batch: &ChannelStats<E>, m: usize, momentum: Option<f64>) {
        let count = self.count() + 1;
        self.num_batches_tracked.as_mut_slice()[0] = E::of(count as f64);
        let f = E::of(momentum.unwrap_or(1.0 / count as f64));
        let keep = E::one() - f;
        let bessel = E::of_usize(m) / E::of_usize(m - 1);
        for (r, &b) in self.mean.as_mut_slice().iter_mut().zip(&batch.mean) {
            *r = keep * *r + f * b;
        }
        for (r, &b) in self.var.as_mut_slice().iter_mut().zip(&batch.var) {
            *r = keep * *r + f * (b * bessel);
        }
    }

    pub(crate) fn slot_mut(&mut self, name: &str) -> Option<&mut Tensor<E>> {
        match name {
            "running_mean" => Some(&mut self.mean),
            "running_var" => Some(&mut self.var),
            "num_batches_tracked" => Some(&mut self.num_batches_tracked),
            _ => None,
        }
    }
}

/// Replaces `slot` by `value` if the shapes agree.
pub(crate) fn load_checked<E: Element>(
    name: &str,
    slot: &mut Tensor<E>,
    value: &Tensor<E>,
) -> Result<()> {
    if slot.shape() != value.shape() {
        return Err(NormError::Buffer {
            name: name.to_string(),
            reason: format!(
                "expected shape {:?}, got shape {:?}",
                slot.shape(),
                value.shape()
            ),
        });
    }
    slot.as_mut_slice().copy_from_slice(value.as_slice());
    Ok(())
}
