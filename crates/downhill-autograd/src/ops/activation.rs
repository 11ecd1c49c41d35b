//! The lecture's nonlinearities, recorded on the tape.
//!
//! ```text
//! σ:        ∂x = g·σ(x)(1 − σ(x))        (computed as σ(x)·σ(−x): exact in the tails)
//! tanh:     ∂x = g·(1 − tanh²(x))        (sech²(x), exact in the tails; computed by the forward
//!                                        pass with the same exponential, and saved)
//! relu:     ∂x = g·[x > 0]
//! leaky:    ∂x = g·(x > 0 ? 1 : slope)
//! softplus: ∂x = g·σ(x)
//! ```

use downhill_tensor::{Element, Tensor, sigmoid, sigmoid_grad};

use crate::op::{Ctx, Op};
use crate::tape::node_value;
use crate::{Result, Tape, Var};

/// Which activation an [`Op::Activation`] node applied.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ActKind<E> {
    Sigmoid,
    Tanh,
    Relu,
    LeakyRelu(E),
    Softplus,
}

impl<E: Element> Tape<E> {
    fn activation(&mut self, a: Var, name: &'static str, kind: ActKind<E>) -> Result<Var> {
        let i = self.check(a, name)?;
        // The output goes to a recycled buffer, written in one pass over the input.
        let x = node_value(&self.nodes, &self.params, i);
        let mut v = self.pool.take(x.shape());
        if matches!(kind, ActKind::Tanh) && self.grad_enabled() && self.nodes[i].requires_grad {
            // tanh keeps its derivative, computed in the same pass (one exponential for both).
            let mut d = self.pool.take(x.shape());
            x.tanh_with_grad_into(&mut v, &mut d)?;
            return Ok(self.push_op(v, Op::ScaleBySaved(i, d), &[i]));
        }
        match kind {
            ActKind::Sigmoid => x.sigmoid_into(&mut v)?,
            ActKind::Tanh => x.tanh_into(&mut v)?,
            ActKind::Relu => x.relu_into(&mut v)?,
            ActKind::LeakyRelu(s) => x.leaky_relu_into(&mut v, s)?,
            ActKind::Softplus => x.softplus_into(&mut v)?,
        }
        Ok(self.push_op(v, Op::Activation(i, kind), &[i]))
    }

    /// Logistic sigmoid `1/(1+e^{−x})` (the slide's `1/(1+eˣ)` is a sign typo).
    ///
    /// # Errors
    /// A wrong-tape or stale handle.
    pub fn sigmoid(&mut self, a: Var) -> Result<Var> {
        self.activation(a, "sigmoid", ActKind::Sigmoid)
    }

    /// Hyperbolic tangent.
    ///
    /// # Errors
    /// A wrong-tape or stale handle.
    pub fn tanh(&mut self, a: Var) -> Result<Var> {
        self.activation(a, "tanh", ActKind::Tanh)
    }

    /// Rectified linear unit `max(0, x)`.
    ///
    /// # Errors
    /// A wrong-tape or stale handle.
    pub fn relu(&mut self, a: Var) -> Result<Var> {
        self.activation(a, "relu", ActKind::Relu)
    }

    /// Leaky ReLU with the given negative slope.
    ///
    /// # Errors
    /// A wrong-tape or stale handle.
    pub fn leaky_relu(&mut self, a: Var, slope: E) -> Result<Var> {
        self.activation(a, "leaky_relu", ActKind::LeakyRelu(slope))
    }

    /// Softplus `log(1+eˣ)`, computed stably.
    ///
    /// # Errors
    /// A wrong-tape or stale handle.
    pub fn softplus(&mut self, a: Var) -> Result<Var> {
        self.activation(a, "softplus", ActKind::Softplus)
    }
}

pub(crate) fn activation_backward<E: Element>(
    ctx: &mut Ctx<'_, E>,
    a: usize,
    out: usize,
    kind: &ActKind<E>,
    mut g: Tensor<E>,
) -> Result<()> {
    let _ = out;
    let x = ctx.val(a);
    // From the input, not the saved output: `1 − y` cancels to 0 once y rounds to 1.
    match *kind {
        ActKind::Sigmoid => each(&mut g, x, |g, x| g * sigmoid_grad(x)),
        ActKind::Tanh => g.mul_tanh_grad(x)?,
        ActKind::Relu => each(&mut g, x, |g, x| if x > E::zero() { g } else { E::zero() }),
        ActKind::LeakyRelu(s) => each(&mut g, x, |g, x| if x > E::zero() { g } else { g * s }),
        ActKind::Softplus => each(&mut g, x, |g, x| g * sigmoid(x)),
    }
    ctx.acc(a, g)
}

/// `∂x = g·d` with the derivative `d` saved by the forward pass (tanh).
pub(crate) fn scale_by_saved_backward<E: Element>(
    ctx: &mut Ctx<'_, E>,
    a: usize,
    d: &Tensor<E>,
    mut g: Tensor<E>,
) -> Result<()> {
    g.mul_assign(d)?;
    ctx.acc(a, g)
}

/// `g ← f(g, x)` elementwise (`g` and `x` have the node's shape).
fn each<E: Element>(g: &mut Tensor<E>, x: &Tensor<E>, f: impl Fn(E, E) -> E) {
    g.as_mut_slice()
        .iter_mut()
        .zip(x.as_slice())
        .for_each(|(g, &x)| *g = f(*g, x));
}
