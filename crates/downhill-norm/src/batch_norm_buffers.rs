//! The running statistics of a batch-norm layer as named buffers, for checkpoints.

use downhill_tensor::{Element, Tensor};

use crate::running_stats::load_checked;
use crate::{BatchNorm, NormError, Result};

const BUFFER_NAMES: [&str; 3] = ["running_mean", "running_var", "num_batches_tracked"];

impl<E: Element> BatchNorm<E> {
    /// The running mean `[C]` (zeros at first), or `None` without `track_running_stats`.
    pub fn running_mean(&self) -> Option<&Tensor<E>> {
        self.running.as_ref().map(|r| &r.mean)
    }

    /// The running (unbiased) variance `[C]` (ones at first), or `None` without
    /// `track_running_stats`.
    pub fn running_var(&self) -> Option<&Tensor<E>> {
        self.running.as_ref().map(|r| &r.var)
    }

    /// The number of training batches seen, or `None` without `track_running_stats`.
    pub fn num_batches_tracked(&self) -> Option<u64> {
        self.running.as_ref().map(|r| r.count())
    }

    /// Replaces the running mean.
    ///
    /// # Errors
    /// [`NormError::Buffer`] when the layer keeps no running statistics or the shape is not
    /// `[C]`; the layer is unchanged then.
    pub fn set_running_mean(&mut self, value: &Tensor<E>) -> Result<()> {
        self.load_buffer(&format!("{}running_mean", self.prefix), value)
    }

    /// Replaces the running variance.
    ///
    /// # Errors
    /// As [`BatchNorm::set_running_mean`].
    pub fn set_running_var(&mut self, value: &Tensor<E>) -> Result<()> {
        self.load_buffer(&format!("{}running_var", self.prefix), value)
    }

    /// Replaces the batch count (which drives the cumulative average of `momentum = None`).
    ///
    /// # Errors
    /// [`NormError::Buffer`] when the layer keeps no running statistics.
    pub fn set_num_batches_tracked(&mut self, count: u64) -> Result<()> {
        let value = Tensor::scalar(E::of(count as f64));
        self.load_buffer(&format!("{}num_batches_tracked", self.prefix), &value)
    }

    /// The buffers with their full names (`"{prefix}running_mean"`, `"{prefix}running_var"`,
    /// `"{prefix}num_batches_tracked"`, the last a scalar of shape `[]`), in PyTorch's
    /// `state_dict` order; empty without `track_running_stats`.
    pub fn buffers(&self) -> Vec<(String, &Tensor<E>)> {
        let Some(r) = &self.running else {
            return Vec::new();
        };
        let tensors = [&r.mean, &r.var, &r.num_batches_tracked];
        BUFFER_NAMES
            .iter()
            .zip(tensors)
            .map(|(n, t)| (format!("{}{n}", self.prefix), t))
            .collect()
    }

    /// The buffers, mutably, with their full names (as [`BatchNorm::buffers`]). Prefer
    /// [`BatchNorm::load_buffer`], which checks shapes; writing through these references with
    /// [`Tensor::assign`] checks them too.
    pub fn buffers_mut(&mut self) -> Vec<(String, &mut Tensor<E>)> {
        let prefix = self.prefix.clone();
        let Some(r) = &mut self.running else {
            return Vec::new();
        };
        let tensors = [&mut r.mean, &mut r.var, &mut r.num_batches_tracked];
        BUFFER_NAMES
            .iter()
            .zip(tensors)
            .map(|(n, t)| (format!("{prefix}{n}"), t))
            .collect()
    }

    /// Loads the buffer with full name `name` (as listed by [`BatchNorm::buffers`]) from a
    /// checkpoint.
    ///
    /// # Errors
    /// [`NormError::Buffer`] for an unknown name (or a layer without running statistics) or a
    /// shape that differs from the buffer's; the layer is unchanged then.
    pub fn load_buffer(&mut self, name: &str, value: &Tensor<E>) -> Result<()> {
        let slot = name
            .strip_prefix(self.prefix.as_str())
            .and_then(|short| self.running.as_mut()?.slot_mut(short));
        let Some(slot) = slot else {
            return Err(NormError::Buffer {
                name: name.to_string(),
                reason: "no such buffer in this layer (is track_running_stats off?)".into(),
            });
        };
        load_checked(name, slot, value)
    }
}
