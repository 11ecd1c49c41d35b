//! Layers: the [`Module`] trait and the layers the lecture uses, composed by
//! [`Network`](crate::Network) as PyTorch's `nn.Sequential`.

mod activation;
mod flatten;
mod linear;
mod module;
mod noise;
mod norm;

pub use activation::{Activation, ActivationLayer};
pub use flatten::Flatten;
pub use linear::Linear;
pub use module::{Forward, Module};
pub use noise::{DropoutLayer, GaussianNoiseLayer};
pub use norm::{BatchNorm1d, LayerNormLayer};
