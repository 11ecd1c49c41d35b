//! The tape: records values and the operations that made them, then runs backward.

use std::sync::atomic::{AtomicU32, Ordering};

use downhill_tensor::{Element, Tensor};

use crate::op::{Node, Op};
use crate::pool::Pool;
use crate::{AutogradError, ParamId, ParamStore, Result, Var};

static NEXT_TAPE_ID: AtomicU32 = AtomicU32::new(1);

/// A define-by-run record of a computation, and the parameters it trains.
///
/// Every differentiable operation is a method on the tape that computes its value at once and
/// records how to differentiate it. [`Tape::backward`] then walks the record in reverse —
/// iteratively, so a chain of any length needs no stack — and *accumulates* gradients into the
/// parameters ([`ParamStore`]) and into input leaves created with [`Tape::input`].
///
/// The tape owns the [`ParamStore`]: parameters outlive [`Tape::clear`], which drops the
/// recorded nodes but keeps their storage for the next step.
///
/// ```
/// use downhill_autograd::Tape;
/// use downhill_tensor::Tensor;
///
/// let mut tape = Tape::<f64>::new();
/// let w = tape.params_mut().add("w", Tensor::from_vec(&[2], vec![1.0, -2.0]).unwrap()).unwrap();
/// let x = tape.constant(Tensor::from_vec(&[2], vec![3.0, 0.5]).unwrap());
/// let wv = tape.param(w).unwrap();
/// let y = tape.mul(wv, x).unwrap();
/// let loss = tape.sum(y).unwrap();           // loss = Σ wᵢxᵢ
/// tape.backward(loss).unwrap();
/// assert_eq!(tape.params().get(w).unwrap().grad.as_slice(), &[3.0, 0.5]);
/// ```
pub struct Tape<E: Element = f32> {
    id: u32,
    generation: u32,
    pub(crate) nodes: Vec<Node<E>>,
    grads: Vec<Option<Tensor<E>>>,
    pub(crate) params: ParamStore<E>,
    grad_enabled: bool,
    /// Buffers of cleared nodes and spent gradients, reused by the next step's ops.
    pub(crate) pool: Pool<E>,
}

impl<E: Element> Default for Tape<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Element> std::fmt::Debug for Tape<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tape")
            .field("id", &self.id)
            .field("nodes", &self.nodes.len())
            .field("params", &self.params.len())
            .finish()
    }
}

impl<E: Element> Tape<E> {
    /// An empty tape with an empty parameter store.
    pub fn new() -> Self {
        Self::with_params(ParamStore::new())
    }

    /// An empty tape that trains the given parameters.
    pub fn with_params(params: ParamStore<E>) -> Self {
        Self {
            id: NEXT_TAPE_ID.fetch_add(1, Ordering::Relaxed),
            generation: 0,
            nodes: Vec::new(),
            grads: Vec::new(),
            params,
            grad_enabled: true,
            pool: Pool::default(),
        }
    }

    /// The parameters this tape trains.
    pub fn params(&self) -> &ParamStore<E> {
        &self.params
    }

    /// The parameters, mutably (to register new ones, or for an optimizer step).
    pub fn params_mut(&mut self) -> &mut ParamStore<E> {
        &mut self.params
    }

    /// Gives up the tape, keeping its parameters.
    pub fn into_params(self) -> ParamStore<E> {
        self.params
    }

    /// Drops every recorded node (keeping the node storage's capacity, and the nodes' value and
    /// gradient buffers for reuse by the next step's operations); parameters and their
    /// gradients stay. Handles recorded before the clear become stale.
    pub fn clear(&mut self) {
        for node in self.nodes.drain(..) {
            if let Some(v) = node.value {
                self.pool.put(v);
            }
            match node.op {
                Op::ScaleBySaved(_, d) => self.pool.put(d),
                Op::CrossEntropy(saved) => self.pool.put(saved.into_probs()),
                _ => {}
            }
        }
        for g in self.grads.drain(..).flatten() {
            self.pool.put(g);
        }
        self.generation = self.generation.wrapping_add(1);
    }

    /// The number of nodes recorded since the last clear.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Whether new operations record how to differentiate them.
    pub fn grad_enabled(&self) -> bool {
        self.grad_enabled
    }

    /// Turns gradient recording on or off; returns the previous setting.
    pub fn set_grad_enabled(&mut self, enabled: bool) -> bool {
        std::mem::replace(&mut self.grad_enabled, enabled)
    }

    /// Runs `f` with gradient recording off (evaluation, metrics), restoring the previous
    /// setting afterwards. Values computed inside are constants to later operations.
    pub fn no_grad<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        let prev = self.set_grad_enabled(false);
        let out = f(self);
        self.set_grad_enabled(prev);
        out
    }

    /// Records a constant: no gradient flows into it.
    pub fn constant(&mut self, value: Tensor<E>) -> Var {
        self.push_node(Some(value), Op::Leaf, false)
    }

    /// Records a constant holding a copy of `value` (in a buffer reused from an earlier step,
    /// where one fits: the way to feed a batch the caller keeps).
    pub fn constant_copy(&mut self, value: &Tensor<E>) -> Var {
        let v = self.pool.copy_of(value);
        self.constant(v)
    }

    /// Records an input whose gradient backward computes; read it with [`Tape::grad`].
    pub fn input(&mut self, value: Tensor<E>) -> Var {
        let rg = self.grad_enabled;
        self.push_node(Some(value), Op::Leaf, rg)
    }

    /// Records a use of parameter `id` (its value is read in place, not copied).
    ///
    /// # Errors
    /// [`AutogradError::UnknownParam`] for an id the store does not hold.
    pub fn param(&mut self, id: ParamId) -> Result<Var> {
        self.params.get(id)?;
        let rg = self.grad_enabled;
        Ok(self.push_node(None, Op::Param(id), rg))
    }

    /// A new constant holding `v`'s value: gradients stop here.
    ///
    /// # Errors
    /// A wrong-tape or stale handle.
    pub fn detach(&mut self, v: Var) -> Result<Var> {
        let value = self.value(v)?.clone();
        Ok(self.constant(value))
    }

    /// The value of a recorded handle.
    ///
    /// # Errors
    /// [`AutogradError::WrongTape`] or [`AutogradError::StaleHandle`].
    pub fn value(&self, v: Var) -> Result<&Tensor<E>> {
        let i = self.check(v, "value")?;
        Ok(self.val(i))
    }

    /// The gradient backward left in an input leaf (or `None` if it was not reached).
    ///
    /// # Errors
    /// [`AutogradError::WrongTape`] or [`AutogradError::StaleHandle`].
    pub fn grad(&self, v: Var) -> Result<Option<&Tensor<E>>> {
        let i = self.check(v, "grad")?;
        Ok(self.grads.get(i).and_then(Option::as_ref))
    }

    /// Whether a gradient would flow into this handle.
    ///
    /// # Errors
    /// [`AutogradError::WrongTape`] or [`AutogradError::StaleHandle`].
    pub fn requires_grad(&self, v: Var) -> Result<bool> {
        let i = self.check(v, "requires_grad")?;
        Ok(self.nodes[i].requires_grad)
    }

    pub(crate) fn check(&self, v: Var, op: &'static str) -> Result<usize> {
        if v.tape != self.id {
            return Err(AutogradError::WrongTape {
                op,
                handle_tape: v.tape,
                tape: self.id,
            });
        }
        if v.generation != self.generation || v.index as usize >= self.nodes.len() {
            return Err(AutogradError::StaleHandle { op });
        }
        Ok(v.index as usize)
    }

    /// The value of node `i` (parameter nodes read the store).
    #[inline]
    pub(crate) fn val(&self, i: usize) -> &Tensor<E> {
        node_value(&self.nodes, &self.params, i)
    }

    pub(crate) fn push_node(
        &mut self,
        value: Option<Tensor<E>>,
        op: Op<E>,
        requires_grad: bool,
    ) -> Var {
        self.nodes.push(Node {
            value,
            op,
            requires_grad,
        });
        Var {
            index: (self.nodes.len() - 1) as u32,
            tape: self.id,
            generation: self.generation,
        }
    }

    /// Records the result of an operation on `parents`: it needs a gradient if any parent does
    /// and recording is on; otherwise the op is dropped and the result is a constant.
    pub(crate) fn push_op(&mut self, value: Tensor<E>, op: Op<E>, parents: &[usize]) -> Var {
        let rg = self.grad_enabled && parents.iter().any(|&p| self.nodes[p].requires_grad);
        let op = if rg { op } else { Op::Leaf };
        self.push_node(Some(value), op, rg)
    }

    /// Backpropagates from a single-element output (seed 1), accumulating gradients into every
    /// parameter and input it depends on.
    ///
    /// # Errors
    /// [`AutogradError::NotScalar`] when the output has more than one element; a wrong-tape or
    /// stale handle; a kernel error from a custom op.
    pub fn backward(&mut self, output: Var) -> Result<()> {
        let i = self.check(output, "backward")?;
        let shape = self.val(i).shape().to_vec();
        if self.val(i).len() != 1 {
            return Err(AutogradError::NotScalar { shape });
        }
        self.run_backward(i, Tensor::full(&shape, E::one()))
    }

    /// Backpropagates from any output with an explicit seed gradient of the output's shape.
    ///
    /// # Errors
    /// [`AutogradError::GradShape`] when the seed's shape differs from the output's; a
    /// wrong-tape or stale handle.
    pub fn backward_with_seed(&mut self, output: Var, seed: Tensor<E>) -> Result<()> {
        let i = self.check(output, "backward_with_seed")?;
        if seed.shape() != self.val(i).shape() {
            return Err(AutogradError::GradShape {
                op: "backward_with_seed".into(),
                grad: seed.shape().to_vec(),
                value: self.val(i).shape().to_vec(),
            });
        }
        self.run_backward(i, seed)
    }

    fn run_backward(&mut self, root: usize, seed: Tensor<E>) -> Result<()> {
        // Input leaves keep (and accumulate into) the gradients of earlier backward passes on
        // this recording, as PyTorch's `.grad`; anything else left over (from a pass that
        // stopped on an error) is dropped.
        self.grads.resize_with(self.nodes.len(), || None);
        for (slot, node) in self.grads.iter_mut().zip(&self.nodes) {
            if !matches!(node.op, Op::Leaf) {
                *slot = None;
            }
        }
        if !self.nodes[root].requires_grad {
            return Ok(());
        }
        match &mut self.grads[root] {
            Some(existing) => existing.add_assign(&seed)?,
            slot @ None => *slot = Some(seed),
        }
        for i in (0..=root).rev() {
            let Some(g) = self.grads[i].take() else {
                continue;
            };
            let mut ctx = crate::op::Ctx {
                nodes: &self.nodes,
                params: &self.params,
                grads: &mut self.grads,
                pool: &mut self.pool,
            };
            match &self.nodes[i].op {
                Op::Leaf => self.grads[i] = Some(g),
                Op::Param(id) => {
                    if let Some(old) = self.params.accumulate(*id, g)? {
                        self.pool.put(old);
                    }
                }
                op => op.backward(&mut ctx, i, g)?,
            }
        }
        Ok(())
    }
}

#[inline]
pub(crate) fn node_value<'a, E: Element>(
    nodes: &'a [Node<E>],
    params: &'a ParamStore<E>,
    i: usize,
) -> &'a Tensor<E> {
    match &nodes[i].value {
        Some(v) => v,
        None => match nodes[i].op {
            Op::Param(id) => &params.get(id).expect("param node holds a valid id").value,
            _ => unreachable!("only parameter nodes store no value"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use downhill_tensor::Transpose;

    /// One step of a small network using every op that takes recycled buffers (linear with and
    /// without bias, matmul with transposes, each activation, input copies); returns the loss,
    /// the input's gradient and the parameters' gradients.
    fn pooled_step(tape: &mut Tape<f64>, x: &Tensor<f64>, k0: bool) -> (f64, Vec<f64>, Vec<f64>) {
        tape.clear();
        tape.params_mut().zero_grad();
        let ids: Vec<ParamId> = tape.params().ids().collect();
        let (w1, b1, w2, w3) = (ids[0], ids[1], ids[2], ids[3]);
        let xin = tape.input(x.clone());
        let xc = tape.constant_copy(x);
        let (w1v, b1v, w2v, w3v) = (
            tape.param(w1).unwrap(),
            tape.param(b1).unwrap(),
            tape.param(w2).unwrap(),
            tape.param(w3).unwrap(),
        );
        let h = tape.linear(xin, w1v, Some(b1v)).unwrap();
        let h = tape.tanh(h).unwrap();
        let h2 = tape.linear(xc, w1v, None).unwrap();
        let h2 = tape.sigmoid(h2).unwrap();
        let h = tape.add(h, h2).unwrap();
        let h = tape.relu(h).unwrap();
        let h = tape
            .matmul_t(h, Transpose::No, w2v, Transpose::Yes)
            .unwrap();
        let h = tape.softplus(h).unwrap();
        let h = tape.leaky_relu(h, 0.1).unwrap();
        let h = tape
            .matmul_t(w3v, Transpose::No, h, Transpose::Yes)
            .unwrap();
        let mut loss = tape.sum(h).unwrap();
        if k0 {
            // An empty inner dimension: the product is all zeros, whatever the buffer held.
            let e = tape.constant(Tensor::zeros(&[3, 0]));
            let f = tape.constant(Tensor::zeros(&[4, 0]));
            let z = tape.linear(e, f, None).unwrap();
            assert!(tape.value(z).unwrap().as_slice().iter().all(|&v| v == 0.0));
            let z = tape.sum(z).unwrap();
            loss = tape.add(loss, z).unwrap();
        }
        tape.backward(loss).unwrap();
        let l = tape.value(loss).unwrap().item().unwrap();
        let gx = tape.grad(xin).unwrap().unwrap().as_slice().to_vec();
        let gp = tape
            .params()
            .iter()
            .flat_map(|p| p.grad.as_slice().to_vec())
            .collect();
        (l, gx, gp)
    }

    /// Buffers recycled from earlier steps never leak stale values: a tape reused for many
    /// steps (inputs changing every step) gives bitwise the results of a fresh tape.
    #[test]
    fn recycled_buffers_give_bitwise_the_results_of_a_fresh_tape() {
        let t = |shape: &[usize], seed: f64| {
            let n: usize = shape.iter().product();
            let v = (0..n).map(|i| ((i as f64 + seed) * 0.37).sin()).collect();
            Tensor::from_vec(shape, v).unwrap()
        };
        let params = || {
            let mut ps = ParamStore::<f64>::new();
            ps.add("w1", t(&[5, 3], 1.0)).unwrap();
            ps.add("b1", t(&[5], 2.0)).unwrap();
            ps.add("w2", t(&[4, 5], 3.0)).unwrap();
            ps.add("w3", t(&[2, 4], 4.0)).unwrap();
            ps
        };
        let mut reused = Tape::with_params(params());
        for step in 0..6 {
            let x = t(&[6, 3], 10.0 * step as f64);
            let mut fresh = Tape::with_params(params());
            let want = pooled_step(&mut fresh, &x, step % 2 == 1);
            let got = pooled_step(&mut reused, &x, step % 2 == 1);
            assert_eq!(got, want, "step {step}");
        }
    }

    /// Clearing keeps the node and gradient storage: refilling to the same length reallocates
    /// neither.
    #[test]
    fn clear_and_refill_keeps_the_node_storage() {
        let mut tape = Tape::<f64>::new();
        let step = |tape: &mut Tape<f64>| {
            let x = tape.input(Tensor::ones(&[2]));
            let mut y = x;
            for _ in 0..100 {
                y = tape.add(y, x).unwrap();
            }
            let s = tape.sum(y).unwrap();
            tape.backward(s).unwrap();
        };
        step(&mut tape);
        let (cap, ptr) = (tape.nodes.capacity(), tape.nodes.as_ptr());
        let (gcap, gptr) = (tape.grads.capacity(), tape.grads.as_ptr());
        for _ in 0..5 {
            tape.clear();
            assert!(tape.nodes.is_empty() && tape.grads.is_empty());
            step(&mut tape);
            assert_eq!((tape.nodes.capacity(), tape.nodes.as_ptr()), (cap, ptr));
            assert_eq!((tape.grads.capacity(), tape.grads.as_ptr()), (gcap, gptr));
        }
    }
}
