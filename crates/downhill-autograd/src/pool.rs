//! Buffer reuse across training steps.
//!
//! A training loop records the same graph every step, so it allocates (and frees) the same
//! buffers every step: op outputs, gradients. The tape keeps the buffers of the previous step
//! here when it is cleared, and the hot ops (linear, matmul, activations) take their outputs from
//! it instead of the allocator. A recycled buffer holds stale values, so it is only handed to
//! kernels that overwrite every element (a `β = 0` product, a copy, a row fill).
//!
//! The pool holds at most [`MAX_BUFFERS`] buffers and never more elements than the step that
//! filled it released, so it adds nothing to the peak memory of a loop whose shapes repeat.

use downhill_tensor::{Element, Tensor};

/// At most this many buffers are kept; more are freed (a loop whose shapes change every step
/// must not grow the pool without bound).
pub(crate) const MAX_BUFFERS: usize = 64;

/// Free tensors, reused whole when the shape matches (the usual case in a loop whose graph
/// repeats: no shape bookkeeping is redone) and by exact length otherwise.
pub(crate) struct Pool<E: Element> {
    free: Vec<Tensor<E>>,
}

impl<E: Element> Default for Pool<E> {
    fn default() -> Self {
        Self { free: Vec::new() }
    }
}

impl<E: Element> Pool<E> {
    /// A tensor of `shape` whose elements are unspecified (stale values of an earlier step, or
    /// zeros when nothing fits): the caller must overwrite every element.
    pub(crate) fn take(&mut self, shape: &[usize]) -> Tensor<E> {
        // The most recently released tensor of this shape (likely still in cache), as it is.
        if let Some(i) = self
            .free
            .iter()
            .rposition(|t| downhill_tensor::shapes_equal(t.shape(), shape))
        {
            return self.free.swap_remove(i);
        }
        let len: usize = shape.iter().product();
        match self.free.iter().rposition(|t| t.len() == len) {
            Some(i) => {
                let v = self.free.swap_remove(i).into_vec();
                Tensor::from_vec(shape, v).expect("the length is the shape's product")
            }
            // A fresh tensor gets `Tensor::zeros`'s huge-page advice when it is large.
            None => Tensor::zeros(shape),
        }
    }

    /// A copy of `t` in a recycled buffer.
    pub(crate) fn copy_of(&mut self, t: &Tensor<E>) -> Tensor<E> {
        let mut out = self.take(t.shape());
        out.as_mut_slice().copy_from_slice(t.as_slice());
        out
    }

    /// Keeps `t`'s buffer for reuse (or frees it when the pool is full or it is empty).
    pub(crate) fn put(&mut self, t: Tensor<E>) {
        if self.free.len() < MAX_BUFFERS && !t.is_empty() {
            self.free.push(t);
        }
    }

    /// The number of buffers held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.free.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuses_by_exact_length_and_stays_bounded() {
        let mut pool = Pool::<f32>::default();
        let a = Tensor::<f32>::full(&[2, 3], 7.0);
        let ptr = a.as_slice().as_ptr();
        pool.put(a);
        // Another length allocates afresh (zeros) and leaves the buffer in the pool.
        let b = pool.take(&[5]);
        assert_eq!(b.as_slice(), &[0.0; 5]);
        assert_eq!(pool.len(), 1);
        // The same length, any shape, gets the buffer back, stale values and all.
        let c = pool.take(&[3, 2]);
        assert_eq!(c.shape(), &[3, 2]);
        assert_eq!(c.as_slice().as_ptr(), ptr);
        assert_eq!(c.as_slice(), &[7.0; 6]);
        assert_eq!(pool.len(), 0);
        // The same shape gets the tensor back whole, preferred over an equal length.
        pool.put(Tensor::<f32>::zeros(&[6]));
        pool.put(c);
        pool.put(Tensor::<f32>::zeros(&[1, 6]));
        let d = pool.take(&[3, 2]);
        assert_eq!((d.shape(), d.as_slice().as_ptr()), (&[3, 2][..], ptr));
        assert_eq!(pool.len(), 2);
        pool = Pool::default();
        for _ in 0..2 * MAX_BUFFERS {
            pool.put(Tensor::<f32>::zeros(&[4]));
        }
        assert_eq!(pool.len(), MAX_BUFFERS);
        pool.put(Tensor::<f32>::zeros(&[0]));
        assert_eq!(pool.len(), MAX_BUFFERS);
    }
}
