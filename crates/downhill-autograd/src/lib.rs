//! # downhill-autograd
//!
//! Reverse-mode automatic differentiation, define-by-run as in PyTorch. A [`Tape`] records each
//! operation as it computes it; [`Tape::backward`] walks the record in reverse (iteratively: a
//! chain of any length needs no stack) and *accumulates* gradients into the [`ParamStore`] the
//! tape owns and into input leaves.
//!
//! ```
//! use downhill_autograd::{Reduction, Tape};
//! use downhill_tensor::Tensor;
//!
//! // One gradient step of logistic regression on two samples.
//! let mut tape = Tape::<f32>::new();
//! let w = tape.params_mut().add("weight", Tensor::zeros(&[2, 3])).unwrap(); // [out, in]
//! let b = tape.params_mut().add("bias", Tensor::zeros(&[2])).unwrap();
//! let x = tape.constant(Tensor::from_vec(&[2, 3], vec![1., 0., 2., 0., 1., -1.]).unwrap());
//! let (wv, bv) = (tape.param(w).unwrap(), tape.param(b).unwrap());
//! let logits = tape.linear(x, wv, Some(bv)).unwrap();
//! let loss = tape.cross_entropy(logits, &[0, 1], Reduction::Mean).unwrap();
//! assert!((tape.value(loss).unwrap().item().unwrap() - 2f32.ln()).abs() < 1e-6);
//! tape.backward(loss).unwrap();
//! for p in tape.params_mut().iter_mut() {
//!     let g = p.grad.clone();
//!     p.value.scaled_add(-0.1, &g).unwrap(); // plain SGD
//! }
//! tape.params_mut().zero_grad();
//! tape.clear(); // ready for the next step; node storage is kept
//! ```
//!
//! What is here:
//! - the [`Tape`] with small `Copy` handles ([`Var`]) that know their tape and generation, so a
//!   handle from another tape, or from before a [`Tape::clear`], is an error;
//! - parameters ([`ParamStore`], [`Param`], [`ParamId`]) with gradient buffers that live across
//!   steps and are read in place (never copied onto the tape);
//! - differentiable ops: broadcasting arithmetic, matmul with transposes, a fused linear layer,
//!   elementwise mathematics, the lecture's activations, reductions, reshape/permute/slice/
//!   concat/index-select/pick, softmax and log-softmax, fused cross-entropy (with label
//!   smoothing) and MSE;
//! - [`Tape::no_grad`] and [`Tape::detach`];
//! - the extension point [`CustomOp`] for ops with a hand-written backward (batch norm, dropout);
//! - [`check_gradients`], the finite-difference checker every crate's tests use.

mod custom;
mod error;
mod gradcheck;
mod op;
mod ops;
mod param;
mod pool;
mod tape;
mod var;

pub use custom::CustomOp;
pub use error::{AutogradError, Result};
pub use gradcheck::{GradCheckOptions, GradCheckReport, check_gradients};
pub use op::Reduction;
pub use param::{Param, ParamId, ParamStore};
pub use tape::Tape;
pub use var::Var;
