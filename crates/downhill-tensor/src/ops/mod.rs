//! The kernels, one family per file; each is a method on [`Tensor`](crate::Tensor).

pub(crate) mod activation;
pub(crate) mod broadcast;
pub(crate) mod fast_f32;
pub(crate) mod matmul;
pub(crate) mod reduce;
pub(crate) mod small_gemm;
pub(crate) mod softmax;
pub(crate) mod unary;
