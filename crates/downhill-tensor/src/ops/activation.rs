//! The lecture's nonlinearities and their derivatives, computed stably for large |x|.
//!
//! The lecture's slide writes the sigmoid as `1/(1+e^a)`: a sign typo (see `ERRATA.md`);
//! the logistic sigmoid is `1/(1+e^{−a})`.

use crate::ops::fast_f32;
use crate::{Element, Tensor};

/// Logistic sigmoid of one value, stable for any finite input.
///
/// ```text
/// σ(x) = 1/(1+e^{−x})        for x ≥ 0
///      = eˣ/(1+eˣ)           for x < 0   (never evaluates e^{+large})
/// ```
#[inline]
pub fn sigmoid<E: Element>(x: E) -> E {
    // One exponential of −|x| and a select at the end (no data-dependent branch around the
    // exponential: mixed-sign inputs would mispredict half the time).
    let e = (-x.abs()).exp();
    let r = E::one() / (E::one() + e);
    if x >= E::zero() { r } else { e * r }
}

/// Derivative of the sigmoid at one value, `σ'(x) = σ(x)·σ(−x)`.
///
/// ```text
/// σ'(x) = σ(x)(1 − σ(x)) = σ(x)·σ(−x)
/// ```
/// The second form never subtracts two numbers close to 1, so it keeps full relative precision
/// in the tails (`σ(x)(1 − σ(x))` loses all digits of `1 − σ(x)` for `x ≳ 37` in f64).
#[inline]
pub fn sigmoid_grad<E: Element>(x: E) -> E {
    sigmoid(x) * sigmoid(-x)
}

/// Derivative of tanh at one value, `1 − tanh²(x) = sech²(x)`, computed as
/// `4e^{−2|x|}/(1 + e^{−2|x|})²`.
///
/// `1 − tanh²(x)` evaluated literally is 0 once `tanh(x)` rounds to ±1 (`|x| ≳ 19` in f64), while
/// the true derivative is `≈ 4e^{−2|x|}`; this form keeps full relative precision everywhere.
#[inline]
pub fn tanh_grad<E: Element>(x: E) -> E {
    if let Some(x) = fast_f32::to_f32(x) {
        return fast_f32::from_f32(fast_f32::tanh_grad(x));
    }
    let e = (-E::two() * x.abs()).exp();
    let d = E::one() + e;
    E::of(4.0) * e / (d * d)
}

/// tanh of one value: libm for f64, a vectorizable few-ulp kernel for f32.
#[inline(always)]
fn tanh<E: Element>(x: E) -> E {
    match fast_f32::to_f32(x) {
        Some(x) => fast_f32::from_f32(fast_f32::tanh(x)),
        None => x.tanh(),
    }
}

/// Softplus of one value, stable: `x + log1p(e^{−x})` for `x > 0`, `log1p(eˣ)` otherwise.
///
/// ```text
/// softplus(x) = log(1 + eˣ),   softplus'(x) = σ(x)
/// ```
/// PyTorch's `F.softplus` switches to the identity above a threshold of 20; this form is exact
/// everywhere instead (the two agree to within f32 rounding above 20).
#[inline]
pub fn softplus<E: Element>(x: E) -> E {
    if x > E::zero() {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

impl<E: Element> Tensor<E> {
    /// Logistic sigmoid `σ(x) = 1/(1+e^{−x})`, elementwise and stable (see [`sigmoid`]).
    pub fn sigmoid(&self) -> Self {
        self.map(sigmoid)
    }

    /// In-place variant of [`Tensor::sigmoid`].
    pub fn sigmoid_inplace(&mut self) {
        self.map_inplace(sigmoid)
    }

    /// Derivative of the sigmoid at `x`: `σ'(x) = σ(x)(1 − σ(x))`, computed as `σ(x)·σ(−x)`
    /// (see [`sigmoid_grad`]).
    pub fn sigmoid_grad(&self) -> Self {
        self.map(sigmoid_grad)
    }

    /// Hyperbolic tangent, elementwise (saturates to ±1, never NaN for finite input).
    pub fn tanh(&self) -> Self {
        let mut out = self.clone();
        out.tanh_inplace();
        out
    }

    /// In-place variant of [`Tensor::tanh`].
    pub fn tanh_inplace(&mut self) {
        match fast_f32::slice_f32_mut(self.as_mut_slice()) {
            Some(xs) => fast_f32::tanh_slice(xs),
            None => self.map_inplace(tanh),
        }
    }

    /// `out ← tanh(self)` and `grad ← tanh'(self)` in one pass, without touching `self`: what a
    /// tanh layer keeps for its backward pass, reading its input once and writing its output
    /// once. `out` is bitwise [`Tensor::tanh`]; `grad` is `1 − tanh²(x)` computed as
    /// [`tanh_grad`] does (exact in the tails), from the same exponential.
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`](crate::TensorError::ShapeMismatch) when `out` or `grad`
    /// has another shape than `self`; nothing is written then.
    pub fn tanh_with_grad_into(&self, out: &mut Self, grad: &mut Self) -> crate::Result<()> {
        same_shape("tanh_with_grad_into", self, out)?;
        same_shape("tanh_with_grad_into", self, grad)?;
        match (
            fast_f32::slice_f32(self.as_slice()),
            fast_f32::slice_f32_mut(out.as_mut_slice()),
            fast_f32::slice_f32_mut(grad.as_mut_slice()),
        ) {
            (Some(xs), Some(ys), Some(ds)) => fast_f32::tanh_and_grad_into_slice(xs, ys, ds),
            _ => {
                let it = out.as_mut_slice().iter_mut().zip(grad.as_mut_slice());
                for ((y, d), &x) in it.zip(self.as_slice()) {
                    *d = tanh_grad(x);
                    *y = tanh(x);
                }
            }
        }
        Ok(())
    }

    /// `out ← tanh(self)` without touching `self` (the values of [`Tensor::tanh`]).
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`](crate::TensorError::ShapeMismatch) when `out` has
    /// another shape than `self`; nothing is written then.
    pub fn tanh_into(&self, out: &mut Self) -> crate::Result<()> {
        same_shape("tanh_into", self, out)?;
        match (
            fast_f32::slice_f32(self.as_slice()),
            fast_f32::slice_f32_mut(out.as_mut_slice()),
        ) {
            (Some(xs), Some(ys)) => fast_f32::tanh_into_slice(xs, ys),
            _ => map_into(self, out, tanh),
        }
        Ok(())
    }

    /// `out ← σ(self)` without touching `self` (the values of [`Tensor::sigmoid`]).
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`](crate::TensorError::ShapeMismatch) when `out` has
    /// another shape than `self`; nothing is written then.
    pub fn sigmoid_into(&self, out: &mut Self) -> crate::Result<()> {
        same_shape("sigmoid_into", self, out)?;
        map_into(self, out, sigmoid);
        Ok(())
    }

    /// `out ← max(0, self)` without touching `self` (the values of [`Tensor::relu`]).
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`](crate::TensorError::ShapeMismatch) when `out` has
    /// another shape than `self`; nothing is written then.
    pub fn relu_into(&self, out: &mut Self) -> crate::Result<()> {
        same_shape("relu_into", self, out)?;
        map_into(self, out, |x| if x > E::zero() { x } else { E::zero() });
        Ok(())
    }

    /// `out ← leaky_relu(self, slope)` without touching `self` (the values of
    /// [`Tensor::leaky_relu`]).
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`](crate::TensorError::ShapeMismatch) when `out` has
    /// another shape than `self`; nothing is written then.
    pub fn leaky_relu_into(&self, out: &mut Self, slope: E) -> crate::Result<()> {
        same_shape("leaky_relu_into", self, out)?;
        map_into(self, out, |x| if x > E::zero() { x } else { slope * x });
        Ok(())
    }

    /// `out ← softplus(self)` without touching `self` (the values of [`Tensor::softplus`]).
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`](crate::TensorError::ShapeMismatch) when `out` has
    /// another shape than `self`; nothing is written then.
    pub fn softplus_into(&self, out: &mut Self) -> crate::Result<()> {
        same_shape("softplus_into", self, out)?;
        map_into(self, out, softplus);
        Ok(())
    }

    /// Multiplies by the derivative of tanh at `x`, in place: `self ← self·tanh'(x)`, the
    /// backward pass of tanh (see [`tanh_grad`]).
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`](crate::TensorError::ShapeMismatch) when the shapes differ.
    pub fn mul_tanh_grad(&mut self, x: &Self) -> crate::Result<()> {
        if self.shape() != x.shape() {
            return Err(crate::TensorError::mismatch(
                "mul_tanh_grad",
                self.shape(),
                x.shape(),
                "the gradient and the input must have the same shape",
            ));
        }
        let (xs, gs) = (x.as_slice(), self.as_mut_slice());
        match (fast_f32::slice_f32(xs), fast_f32::slice_f32_mut(gs)) {
            (Some(xs), Some(gs)) => fast_f32::mul_tanh_grad_slice(gs, xs),
            _ => (self.as_mut_slice().iter_mut().zip(x.as_slice()))
                .for_each(|(g, &x)| *g = *g * tanh_grad(x)),
        }
        Ok(())
    }

    /// Derivative of tanh at `x`: `1 − tanh²(x)`, computed stably (see [`tanh_grad`]).
    pub fn tanh_grad(&self) -> Self {
        let mut out = Self::ones(self.shape());
        out.mul_tanh_grad(self).expect("same shape");
        out
    }

    /// Rectified linear unit `max(0, x)`, elementwise.
    pub fn relu(&self) -> Self {
        self.map(|x| if x > E::zero() { x } else { E::zero() })
    }

    /// In-place variant of [`Tensor::relu`].
    pub fn relu_inplace(&mut self) {
        self.map_inplace(|x| if x > E::zero() { x } else { E::zero() })
    }

    /// Derivative of ReLU: 1 for `x > 0`, else 0 (the subgradient 0 at 0, as PyTorch).
    pub fn relu_grad(&self) -> Self {
        self.map(|x| if x > E::zero() { E::one() } else { E::zero() })
    }

    /// Leaky ReLU: `x` for `x > 0`, `slope·x` otherwise.
    pub fn leaky_relu(&self, slope: E) -> Self {
        self.map(|x| if x > E::zero() { x } else { slope * x })
    }

    /// In-place variant of [`Tensor::leaky_relu`].
    pub fn leaky_relu_inplace(&mut self, slope: E) {
        self.map_inplace(|x| if x > E::zero() { x } else { slope * x })
    }

    /// Derivative of leaky ReLU: 1 for `x > 0`, `slope` otherwise.
    pub fn leaky_relu_grad(&self, slope: E) -> Self {
        self.map(|x| if x > E::zero() { E::one() } else { slope })
    }

    /// Softplus `log(1+eˣ)`, elementwise and stable (see [`softplus`]).
    pub fn softplus(&self) -> Self {
        self.map(softplus)
    }

    /// In-place variant of [`Tensor::softplus`].
    pub fn softplus_inplace(&mut self) {
        self.map_inplace(softplus)
    }

    /// Derivative of softplus: the sigmoid.
    pub fn softplus_grad(&self) -> Self {
        self.sigmoid()
    }
}

/// An error naming `op` unless `out` has the shape of `x`.
fn same_shape<E: Element>(op: &'static str, x: &Tensor<E>, out: &Tensor<E>) -> crate::Result<()> {
    if crate::shapes_equal(x.shape(), out.shape()) {
        Ok(())
    } else {
        Err(crate::TensorError::mismatch(
            op,
            x.shape(),
            out.shape(),
            "the output buffer must have the shape of the input",
        ))
    }
}

/// `out[i] ← f(x[i])` for tensors of equal shape.
fn map_into<E: Element>(x: &Tensor<E>, out: &mut Tensor<E>, f: impl Fn(E) -> E) {
    for (y, &x) in out.as_mut_slice().iter_mut().zip(x.as_slice()) {
        *y = f(x);
    }
}
