//! The shipped, meta-trained weights, embedded in the binary.

use std::path::Path;
use std::sync::Arc;

use downhill_tensor::Element;

use crate::error::Result;
use crate::net::LearnedNet;
use crate::optimizer::LearnedOptimizer;

/// The bytes of `assets/l2o/weights.safetensors`, produced by the command recorded in
/// `assets/l2o/README.md` and `assets/l2o/train.json`.
pub static SHIPPED_WEIGHTS: &[u8] = include_bytes!("../../../assets/l2o/weights.safetensors");

impl LearnedNet {
    /// The shipped network.
    ///
    /// # Errors
    /// Only if the embedded file were corrupt (a test guards against it).
    pub fn shipped() -> Result<Self> {
        Ok(Self::from_safetensors(SHIPPED_WEIGHTS)?.0)
    }
}

impl<E: Element> LearnedOptimizer<E> {
    /// The optimizer with the shipped weights: what `--optimizer learned` uses.
    ///
    /// # Errors
    /// As [`LearnedNet::shipped`].
    pub fn shipped() -> Result<Self> {
        Ok(Self::new(Arc::new(LearnedNet::shipped()?)))
    }

    /// The optimizer with weights from a file written by [`LearnedNet::save`]
    /// (e.g. by `downhill l2o train`).
    ///
    /// # Errors
    /// As [`LearnedNet::load`].
    pub fn from_file(path: &Path) -> Result<Self> {
        Ok(Self::new(Arc::new(LearnedNet::load(path)?.0)))
    }
}
