//! Elementwise unary mathematics, each with an in-place variant.

use crate::{Element, Result, Tensor, TensorError};

macro_rules! unary {
    ($(#[$doc:meta])* $name:ident, $inplace:ident, |$x:ident| $body:expr) => {
        $(#[$doc])*
        pub fn $name(&self) -> Self {
            self.map(|$x: E| $body)
        }

        #[doc = concat!("In-place variant of [`Tensor::", stringify!($name), "`].")]
        pub fn $inplace(&mut self) {
            self.map_inplace(|$x: E| $body)
        }
    };
}

impl<E: Element> Tensor<E> {
    unary!(
        /// `eˣ`, elementwise.
        exp, exp_inplace, |x| x.exp()
    );
    unary!(
        /// Natural logarithm, elementwise (`ln 0 = −∞`, negative inputs give NaN, as IEEE).
        ln, ln_inplace, |x| x.ln()
    );
    unary!(
        /// Square root, elementwise.
        sqrt, sqrt_inplace, |x| x.sqrt()
    );
    unary!(
        /// Absolute value, elementwise.
        abs, abs_inplace, |x| x.abs()
    );
    unary!(
        /// Negation, elementwise.
        neg, neg_inplace, |x| -x
    );
    unary!(
        /// `1/x`, elementwise.
        recip, recip_inplace, |x| x.recip()
    );
    unary!(
        /// The sign: −1, 0 or +1 (0 at ±0, unlike `f32::signum`; NaN stays NaN), as `torch.sign`.
        sign, sign_inplace, |x| if x > E::zero() { E::one() } else if x < E::zero() { -E::one() } else { x * E::zero() }
    );
    unary!(
        /// `x²`, elementwise.
        square, square_inplace, |x| x * x
    );

    /// `xⁿ` for an integer power, elementwise.
    pub fn powi(&self, n: i32) -> Self {
        self.map(|x| x.powi(n))
    }

    /// In-place variant of [`Tensor::powi`].
    pub fn powi_inplace(&mut self, n: i32) {
        self.map_inplace(|x| x.powi(n))
    }

    /// `xᵖ` for a real power, elementwise (negative bases with fractional powers give NaN).
    pub fn powf(&self, p: E) -> Self {
        self.map(|x| x.powf(p))
    }

    /// In-place variant of [`Tensor::powf`].
    pub fn powf_inplace(&mut self, p: E) {
        self.map_inplace(|x| x.powf(p))
    }

    /// Clamps every element into `[lo, hi]` (NaN stays NaN).
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] when `lo > hi` or a bound is NaN.
    pub fn clamp(&self, lo: E, hi: E) -> Result<Self> {
        let mut out = self.clone();
        out.clamp_inplace(lo, hi)?;
        Ok(out)
    }

    /// In-place variant of [`Tensor::clamp`].
    ///
    /// # Errors
    /// As [`Tensor::clamp`].
    pub fn clamp_inplace(&mut self, lo: E, hi: E) -> Result<()> {
        if lo.is_nan() || hi.is_nan() || lo > hi {
            return Err(TensorError::InvalidArgument {
                op: "clamp",
                name: "lo, hi",
                value: format!("{lo}, {hi}"),
                reason: "need lo <= hi".into(),
            });
        }
        self.map_inplace(|x| {
            if x < lo {
                lo
            } else if x > hi {
                hi
            } else {
                x
            }
        });
        Ok(())
    }
}
