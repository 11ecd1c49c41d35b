//! The record of one operation and the dispatch of its backward rule.
//!
//! Each operation's forward (a method on [`Tape`](crate::Tape)) and backward (a function
//! called from [`Op::backward`]) live side by side in one file under `ops/`.

use downhill_tensor::{Element, Tensor, Transpose};

use crate::custom::CustomOp;
use crate::ops::{activation, arith, loss, matmul, reduce, shape, softmax, unary};
use crate::tape::node_value;
use crate::{ParamId, ParamStore, Result};

/// How a loss over a batch is reduced, as PyTorch's `reduction` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Reduction {
    /// The mean over the batch (PyTorch's default).
    #[default]
    Mean,
    /// The sum over the batch.
    Sum,
}

pub(crate) struct Node<E: Element> {
    /// `None` only for parameter nodes, whose value lives in the store.
    pub(crate) value: Option<Tensor<E>>,
    pub(crate) op: Op<E>,
    pub(crate) requires_grad: bool,
}

/// What produced a node, with the indices of its inputs and whatever backward needs.
pub(crate) enum Op<E: Element> {
    Leaf,
    Param(ParamId),
    Add(usize, usize),
    Sub(usize, usize),
    Mul(usize, usize),
    Div(usize, usize),
    Neg(usize),
    Scale(usize, E),
    AddScalar(usize),
    MatMul {
        a: usize,
        ta: Transpose,
        b: usize,
        tb: Transpose,
    },
    Linear {
        x: usize,
        w: usize,
        b: Option<usize>,
    },
    Unary(usize, unary::UnaryKind<E>),
    Maximum(usize, usize),
    Activation(usize, activation::ActKind<E>),
    /// `y = f(x)` whose derivative `f'(x)` the forward pass saved (tanh): `∂x = g·f'(x)`.
    ScaleBySaved(usize, Tensor<E>),
    Sum(usize),
    Mean(usize),
    SumAxes {
        x: usize,
        axes: Vec<usize>,
        mean: bool,
    },
    MaxAxes {
        x: usize,
        axes: Vec<usize>,
    },
    Reshape(usize),
    Permute {
        x: usize,
        perm: Vec<usize>,
    },
    Slice {
        x: usize,
        axis: usize,
        start: usize,
    },
    Concat {
        xs: Vec<usize>,
        axis: usize,
    },
    IndexSelect {
        x: usize,
        axis: usize,
        indices: Vec<usize>,
    },
    Pick {
        x: usize,
        indices: Vec<usize>,
    },
    Softmax {
        x: usize,
        axis: usize,
    },
    LogSoftmax {
        x: usize,
        axis: usize,
    },
    CrossEntropy(loss::CrossEntropySaved<E>),
    Mse {
        pred: usize,
        target: usize,
        reduction: Reduction,
    },
    Custom {
        inputs: Vec<usize>,
        op: Box<dyn CustomOp<E>>,
    },
}

/// What a backward rule may read (values) and write (parent gradients).
pub(crate) struct Ctx<'a, E: Element> {
    pub(crate) nodes: &'a [Node<E>],
    pub(crate) params: &'a ParamStore<E>,
    pub(crate) grads: &'a mut Vec<Option<Tensor<E>>>,
    pub(crate) pool: &'a mut crate::pool::Pool<E>,
}

impl<'a, E: Element> Ctx<'a, E> {
    #[inline]
    pub(crate) fn val(&self, i: usize) -> &'a Tensor<E> {
        node_value(self.nodes, self.params, i)
    }

    #[inline]
    pub(crate) fn wants(&self, i: usize) -> bool {
        self.nodes[i].requires_grad
    }

    /// Adds `g` into node `i`'s gradient (moving it in when there is none yet).
    pub(crate) fn acc(&mut self, i: usize, g: Tensor<E>) -> Result<()> {
        match &mut self.grads[i] {
            Some(existing) => existing.add_assign(&g)?,
            slot @ None => *slot = Some(g),
        }
        Ok(())
    }

    /// Adds `g`, reduced to node `i`'s shape (undoing a broadcast), into its gradient.
    pub(crate) fn acc_reduced(&mut self, i: usize, g: Tensor<E>) -> Result<()> {
        if downhill_tensor::shapes_equal(g.shape(), self.val(i).shape()) {
            return self.acc(i, g);
        }
        let shape = self.val(i).shape().to_vec();
        let r = g.sum_to_shape(&shape)?;
        self.acc(i, r)
    }
}

impl<E: Element> Op<E> {
    /// Propagates `g` (the gradient of node `out`) to the inputs of this op.
    pub(crate) fn backward(&self, ctx: &mut Ctx<'_, E>, out: usize, g: Tensor<E>) -> Result<()> {
        match self {
            Op::Leaf | Op::Param(_) => Ok(()),
            Op::Add(a, b) => arith::add_backward(ctx, *a, *b, g),
            Op::Sub(a, b) => arith::sub_backward(ctx, *a, *b, g),
            Op::Mul(a, b) => arith::mul_backward(ctx, *a, *b, g),
            Op::Div(a, b) => arith::div_backward(ctx, *a, *b, g),
            Op::Neg(a) => arith::neg_backward(ctx, *a, g),
            Op::Scale(a, c) => arith::scale_backward(ctx, *a, *c, g),
            Op::AddScalar(a) => ctx.acc(*a, g),
            Op::MatMul { a, ta, b, tb } => {
                let r = matmul::matmul_backward(ctx, *a, *ta, *b, *tb, &g);
                ctx.pool.put(g);
                r
            }
            Op::Linear { x, w, b } => {
                let r = matmul::linear_backward(ctx, *x, *w, *b, &g);
                ctx.pool.put(g);
                r
            }
            Op::Unary(a, kind) => unary::unary_backward(ctx, *a, out, kind, g),
            Op::Maximum(a, b) => unary::maximum_backward(ctx, *a, *b, g),
            Op::Activation(a, kind) => activation::activation_backward(ctx, *a, out, kind, g),
            Op::ScaleBySaved(a, d) => activation::scale_by_saved_backward(ctx, *a, d, g),
            Op::Sum(a) => reduce::sum_backward(ctx, *a, g, false),
            Op::Mean(a) => reduce::sum_backward(ctx, *a, g, true),
            Op::SumAxes { x, axes, mean } => reduce::sum_axes_backward(ctx, *x, axes, *mean, g),
            Op::MaxAxes { x, axes } => reduce::max_axes_backward(ctx, *x, out, axes, g),
            Op::Reshape(a) => shape::reshape_backward(ctx, *a, g),
            Op::Permute { x, perm } => shape::permute_backward(ctx, *x, perm, g),
            Op::Slice { x, axis, start } => shape::slice_backward(ctx, *x, *axis, *start, g),
            Op::Concat { xs, axis } => shape::concat_backward(ctx, xs, *axis, g),
            Op::IndexSelect { x, axis, indices } => {
                shape::index_select_backward(ctx, *x, *axis, indices, g)
            }
            Op::Pick { x, indices } => shape::pick_backward(ctx, *x, indices, g),
            Op::Softmax { x, axis } => softmax::softmax_backward(ctx, *x, out, *axis, g),
            Op::LogSoftmax { x, axis } => softmax::log_softmax_backward(ctx, *x, out, *axis, g),
            Op::CrossEntropy(saved) => loss::cross_entropy_backward(ctx, saved, g),
            Op::Mse {
                pred,
                target,
                reduction,
            } => loss::mse_backward(ctx, *pred, *target, *reduction, g),
            Op::Custom { inputs, op } => {
                crate::custom::custom_backward(ctx, inputs, out, op.as_ref(), g)
            }
        }
    }
}
