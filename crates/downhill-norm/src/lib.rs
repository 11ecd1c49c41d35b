//! # downhill-norm
//!
//! Normalization for [downhill](https://example.invalid/downhill): a data [`Standardizer`]
//! fitted on training data only, [`BatchNorm`] (Ioffe & Szegedy 2015) and [`LayerNorm`]
//! (Ba, Kiros & Hinton 2016) as tape operations with fused closed-form backward kernels,
//! matching PyTorch's `nn.BatchNorm1d/2d` and `nn.LayerNorm` to 1e-10 in f64.
//!
//! ```
//! use downhill_autograd::Tape;
//! use downhill_norm::{BatchNorm, BatchNormConfig, Mode, Scaling, Standardizer};
//! use downhill_tensor::Tensor;
//!
//! // Data normalization: fitted on the training matrix, applied to anything afterwards.
//! let train = Tensor::<f32>::from_vec(&[3, 2], vec![1.0, 10.0, 2.0, 10.0, 3.0, 10.0]).unwrap();
//! let standardizer = Standardizer::fit(Scaling::Standard, &train).unwrap();
//! let z = standardizer.transform(&train).unwrap();
//! assert!((z.as_slice()[0] + 1.2247449).abs() < 1e-6); // (1 − 2)/√(2/3)
//! assert_eq!(z.as_slice()[1], 0.0); // a constant feature is shifted, never divided by zero
//!
//! // Batch norm in a training step: [N, C] = [4, 2].
//! let mut tape = Tape::<f32>::new();
//! let mut bn = BatchNorm::new_1d(BatchNormConfig::new(2), tape.params_mut(), "bn.").unwrap();
//! let x = tape.input(Tensor::from_vec(&[4, 2], vec![1., 0., 2., 0., 3., 1., 4., 1.]).unwrap());
//! let y = bn.forward(&mut tape, x, Mode::Train).unwrap();
//! let loss = tape.sum(y).unwrap();
//! tape.backward(loss).unwrap();
//! // Each channel of y has mean β = 0; the running mean moved 10% towards the batch mean.
//! assert!(tape.value(y).unwrap().sum().abs() < 1e-5);
//! assert_eq!(bn.running_mean().unwrap().as_slice(), &[0.25, 0.05]);
//! assert_eq!(bn.num_batches_tracked(), Some(1));
//!
//! // Evaluation uses the running estimates; too little data per channel in training is an error.
//! let one = tape.input(Tensor::from_vec(&[1, 2], vec![1.0, 2.0]).unwrap());
//! assert!(bn.forward(&mut tape, one, Mode::Eval).is_ok());
//! assert!(bn.forward(&mut tape, one, Mode::Train).is_err());
//! ```
//!
//! What is here, one concept per module:
//! - [`Mode`], the explicit train/eval switch;
//! - [`BatchNorm`] with its [`BatchNormConfig`] (PyTorch's names and defaults) and running
//!   statistics exposed as named buffers for checkpoints ([`BatchNorm::buffers`]);
//! - [`LayerNorm`] with its [`LayerNormConfig`];
//! - the functional forms [`batch_norm`] and [`layer_norm`] on explicit `Var`s (as
//!   `torch.nn.functional`), which the layers call;
//! - the raw slice kernels the layers record on the tape: [`channel_stats`],
//!   [`batch_norm_normalize`], [`batch_norm_backward`], [`layer_norm_forward`],
//!   [`layer_norm_backward`];
//! - [`Standardizer`] ([`Scaling::Standard`], [`Scaling::MinMax`], [`Scaling::PcaWhitening`]),
//!   with [`symmetric_eigen`], a Jacobi eigendecomposition, for the whitening;
//! - [`NormError`], naming shapes, rows and columns.
//!
//! Where the lecture's slides differ: the slide's `h = (h − μ)/√σ²` has no `ε`; the paper's
//! algorithm box and PyTorch put `ε` inside the square root, as here. The slide's running
//! variance averages the (biased) batch variance; PyTorch, and this crate, average the
//! *unbiased* batch variance `σ²_B·M/(M − 1)` while normalizing with the biased one.

mod batch_norm;
mod batch_norm_buffers;
mod batch_norm_config;
mod batch_norm_kernel;
mod batch_norm_op;
mod channel_layout;
mod error;
mod functional;
mod jacobi;
mod layer_norm;
mod layer_norm_config;
mod layer_norm_kernel;
mod layer_norm_op;
mod mode;
mod running_stats;
mod standardizer;
mod whitening;

pub use batch_norm::{BatchNorm, BatchNormKind};
pub use batch_norm_config::BatchNormConfig;
pub use batch_norm_kernel::{
    BatchNormGrads, ChannelStats, batch_norm_backward, batch_norm_normalize, channel_stats,
};
pub use channel_layout::ChannelLayout;
pub use error::{NormError, Result};
pub use functional::{Statistics, batch_norm, layer_norm};
pub use jacobi::{SymmetricEigen, symmetric_eigen};
pub use layer_norm::LayerNorm;
pub use layer_norm_config::LayerNormConfig;
pub use layer_norm_kernel::{LayerNormGrads, RowStats, layer_norm_backward, layer_norm_forward};
pub use mode::Mode;
pub use standardizer::{Scaling, Standardizer};
