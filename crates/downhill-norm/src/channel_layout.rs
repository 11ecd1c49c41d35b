//! How a `[N, C, *]` tensor is laid out for per-channel statistics.

use crate::{NormError, Result};

/// The view of a contiguous row-major `[N, C, *]` tensor as `[batch, channels, inner]`, where
/// `inner` is the product of the trailing (spatial) dimensions (1 for `[N, C]`).
///
/// Element `(n, c, s)` sits at `(n·channels + c)·inner + s`; batch norm reduces over `n` and
/// `s` for each channel `c`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChannelLayout {
    /// `N`, the batch size.
    pub batch: usize,
    /// `C`, the number of channels (features).
    pub channels: usize,
    /// The product of the dimensions after the channel axis.
    pub inner: usize,
}

impl ChannelLayout {
    /// The layout of a tensor of shape `shape` (rank at least 2, channel axis 1).
    ///
    /// # Errors
    /// [`NormError::Rank`] for a rank below 2.
    pub fn of(shape: &[usize]) -> Result<Self> {
        if shape.len() < 2 {
            return Err(NormError::Rank {
                layer: "batch norm",
                expected: "an [N, C, *] (rank ≥ 2)",
                actual: shape.to_vec(),
            });
        }
        Ok(Self {
            batch: shape[0],
            channels: shape[1],
            inner: shape[2..].iter().product(),
        })
    }

    /// The number of values per channel, `M = N · inner`.
    pub fn per_channel(&self) -> usize {
        self.batch * self.inner
    }

    /// The total number of elements.
    pub fn len(&self) -> usize {
        self.batch * self.channels * self.inner
    }

    /// Whether the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
