//! The shape of one image, and how a batch holds images.

use crate::{RegError, Result};

/// The shape `[C, H, W]` of one image (channels, height, width), as PyTorch lays images out.
///
/// A batch holds `N` images either as `[N, C, H, W]` or flat as `[N, C·H·W]` (MNIST-style
/// `[N, 784]` with `ImageShape::gray(28, 28)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ImageShape {
    /// Channels `C`.
    pub channels: usize,
    /// Height `H` in pixels.
    pub height: usize,
    /// Width `W` in pixels.
    pub width: usize,
}

impl ImageShape {
    /// `[channels, height, width]`.
    pub fn new(channels: usize, height: usize, width: usize) -> Self {
        Self {
            channels,
            height,
            width,
        }
    }

    /// A single-channel image `[1, height, width]`.
    pub fn gray(height: usize, width: usize) -> Self {
        Self::new(1, height, width)
    }

    /// Pixels per channel, `H·W`.
    pub fn plane(&self) -> usize {
        self.height * self.width
    }

    /// Elements per image, `C·H·W`.
    pub fn len(&self) -> usize {
        self.channels * self.plane()
    }

    /// Whether an image of this shape holds no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `[C, H, W]` as an array.
    pub fn dims(&self) -> [usize; 3] {
        [self.channels, self.height, self.width]
    }

    /// The number of images in a batch of shape `batch` (`[N, C, H, W]` or `[N, C·H·W]`).
    ///
    /// # Errors
    /// [`RegError::ImageShape`] when the batch does not hold whole images of this shape
    /// (e.g. a feature count that the image shape does not divide), or the image is empty.
    pub fn batch_len(&self, op: &'static str, batch: &[usize]) -> Result<usize> {
        let err = |reason: String| RegError::ImageShape {
            op,
            batch: batch.to_vec(),
            image: self.dims(),
            reason,
        };
        if self.is_empty() {
            return Err(err("the image shape holds no pixel".to_string()));
        }
        match batch {
            [n, c, h, w] if [*c, *h, *w] == self.dims() => Ok(*n),
            [_, _, _, _] => Err(err("a 4-d batch must be [N, C, H, W]".to_string())),
            [_, f] if *f == self.len() => Ok(batch[0]),
            [_, f] if f % self.len() != 0 => Err(err(format!(
                "the image shape ({} elements) does not divide the feature count {f}",
                self.len()
            ))),
            [_, f] => Err(err(format!(
                "{f} features hold {} images of this shape; expected exactly one per row",
                f / self.len()
            ))),
            _ => Err(err(
                "expected a batch [N, C, H, W] or [N, C·H·W]".to_string()
            )),
        }
    }
}
