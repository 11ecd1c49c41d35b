//! Differentiable operations: each file holds forward methods on the tape and their backward
//! rules side by side.

pub(crate) mod activation;
pub(crate) mod arith;
pub(crate) mod loss;
pub(crate) mod matmul;
pub(crate) mod reduce;
pub(crate) mod shape;
pub(crate) mod softmax;
pub(crate) mod unary;
