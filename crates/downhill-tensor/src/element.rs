//! The element type: one trait implemented by `f32` and `f64`.

use std::fmt::{Debug, Display};
use std::iter::Sum;

use ndarray::{LinalgScalar, ScalarOperand};
use num_traits::Float;

/// A floating-point element of a [`Tensor`](crate::Tensor): implemented for `f32` and `f64`.
///
/// Every kernel in downhill is generic over `Element`; `f32` is the default in the
/// convenience APIs, `f64` is what the gradient checks run in.
///
/// ```
/// use downhill_tensor::Element;
/// fn half<E: Element>(x: E) -> E { x * E::of(0.5) }
/// assert_eq!(half(3.0f32), 1.5);
/// assert_eq!(half(3.0f64), 1.5);
/// ```
pub trait Element:
    Float
    + LinalgScalar
    + ScalarOperand
    + Sum
    + Default
    + Debug
    + Display
    + Send
    + Sync
    + serde::Serialize
    + for<'de> serde::Deserialize<'de>
    + 'static
{
    /// The name of the type as PyTorch and safetensors spell it (`"F32"`, `"F64"`).
    const DTYPE: &'static str;

    /// Converts from `f64`, rounding to the nearest representable value.
    fn of(x: f64) -> Self;

    /// Converts to `f64` (exact for both implementors).
    fn as_f64(self) -> f64;

    /// Converts from a `usize` count (for means and normalizers).
    fn of_usize(n: usize) -> Self {
        Self::of(n as f64)
    }

    /// The constant ½.
    fn half() -> Self {
        Self::of(0.5)
    }

    /// The constant 2.
    fn two() -> Self {
        Self::of(2.0)
    }
}

impl Element for f32 {
    const DTYPE: &'static str = "F32";
    #[inline]
    fn of(x: f64) -> Self {
        x as f32
    }
    #[inline]
    fn as_f64(self) -> f64 {
        self as f64
    }
}

impl Element for f64 {
    const DTYPE: &'static str = "F64";
    #[inline]
    fn of(x: f64) -> Self {
        x
    }
    #[inline]
    fn as_f64(self) -> f64 {
        self
    }
}
