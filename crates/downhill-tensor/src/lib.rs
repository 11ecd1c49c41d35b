//! # downhill-tensor
//!
//! The tensor core of [downhill](https://example.invalid/downhill): the element type
//! ([`Element`], implemented by `f32` and `f64`), an n-dimensional [`Tensor`] over
//! [`ndarray`]'s dynamic-dimension arrays, the kernels every other crate builds on, and
//! [`TensorError`], which names the operation and the shapes whenever operands do not fit.
//!
//! ```
//! use downhill_tensor::{Tensor, Transpose};
//!
//! // A linear layer's forward pass: y = x·Wᵀ + b, with W stored [out, in] as in PyTorch.
//! let x = Tensor::<f32>::from_vec(&[2, 3], vec![1., 2., 3., 4., 5., 6.]).unwrap();
//! let w = Tensor::<f32>::from_vec(&[1, 3], vec![0.5, -1.0, 2.0]).unwrap();
//! let b = Tensor::<f32>::from_vec(&[1], vec![0.25]).unwrap();
//! let y = x.matmul_t(Transpose::No, &w, Transpose::Yes).unwrap().add(&b).unwrap();
//! assert_eq!(y.shape(), &[2, 1]);
//! assert_eq!(y.as_slice(), &[4.75, 9.25]);
//!
//! // Stable activations: the sigmoid of −1000 is 0, not NaN.
//! let z = Tensor::<f32>::from_vec(&[2], vec![-1000.0, 1000.0]).unwrap();
//! assert_eq!(z.sigmoid().as_slice(), &[0.0, 1.0]);
//!
//! // Shape mistakes are errors that say what went wrong.
//! let err = x.matmul(&x).unwrap_err();
//! assert!(err.to_string().contains("matmul"));
//! ```
//!
//! Kernels:
//! - matrix products with transposed operands read in place ([`Tensor::matmul_t`],
//!   [`Tensor::gemm`]), using ndarray's `general_mat_mul` (matrixmultiply, threaded), except for
//!   small f32 products (≤ 64³ multiply-adds) on CPUs with AVX2 and FMA, which run unpacked
//!   register-blocked kernels chosen at run time (packing costs more than the arithmetic there);
//! - elementwise arithmetic with NumPy broadcasting ([`Tensor::add`], …) and
//!   [`Tensor::sum_to_shape`], which sums a broadcast gradient back to its operand's shape;
//! - reductions over axes ([`Tensor::sum_axes`], [`Tensor::mean_axes`], [`Tensor::max_axes`],
//!   [`Tensor::argmax`]);
//! - unary mathematics and the lecture's nonlinearities with their derivatives, stable for
//!   `|x| = 1000` in f32 ([`Tensor::sigmoid`], [`Tensor::softplus`], …); f32 tanh and its
//!   backward ([`Tensor::mul_tanh_grad`]) use a few-ulp polynomial kernel, 8 lanes with FMA
//!   where the CPU has AVX2;
//! - softmax, log-softmax and the fused softmax-cross-entropy kernel;
//! - in-place variants of the hot operations (`*_inplace`, `*_assign`, [`Tensor::scaled_add`]).
//!
//! Memory: on Linux, [`Tensor::zeros`] and [`Tensor::full`] advise buffers of at least
//! [`HUGE_PAGE_MIN_BYTES`] (4 MiB) onto transparent huge pages (`madvise(MADV_HUGEPAGE)` on the
//! buffer's 2 MiB-aligned interior, before its pages are first touched). Streaming kernels over
//! tens of megabytes, such as an optimizer step over millions of parameters, otherwise pay a
//! page-table walk every 4 KiB of each stream: an Adam step over 10M f32 parameters measured
//! about 20% faster with the advice on this project's benchmark machine. The advice changes no
//! value; the kernel may ignore it. `DOWNHILL_NO_HUGEPAGES` (any value) turns it off. PyTorch has
//! the same mechanism behind its opt-in `THP_MEM_ALLOC_ENABLE=1`.
//!
//! The weight layout convention of downhill is PyTorch's: a linear layer's weight is `[out, in]`.

mod alloc;
mod element;
mod error;
mod ops;
mod tensor;

pub use alloc::HUGE_PAGE_MIN_BYTES;
pub use element::Element;
pub use error::{Result, TensorError};
pub use ndarray;
pub use ops::activation::{sigmoid, sigmoid_grad, softplus, tanh_grad};
pub use ops::broadcast::broadcast_shape;
pub use ops::matmul::Transpose;
pub use ops::reduce::reduced_shape;
pub use tensor::Tensor;

/// `a == b` for two shapes, compared element by element in line.
///
/// The slice `==` on `usize` calls libc's `memcmp`, a function call for a few bytes that showed
/// up at 1–2% of a small network's training step across the shape checks of every operation.
#[inline]
pub fn shapes_equal(a: &[usize], b: &[usize]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}
