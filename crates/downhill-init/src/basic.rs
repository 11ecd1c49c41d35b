//! Schemes that need no fans: constants, the identity, uniform and normal.

use downhill_tensor::{Element, Tensor};
use rand::Rng;

use crate::error::{InitError, Result};
use crate::init::Init;

/// All zeros; PyTorch: `zeros_`. Needs no randomness.
pub fn zeros<E: Element>(shape: &[usize]) -> Tensor<E> {
    Tensor::zeros(shape)
}

/// All ones; PyTorch: `ones_`. Needs no randomness.
pub fn ones<E: Element>(shape: &[usize]) -> Tensor<E> {
    Tensor::ones(shape)
}

/// Every entry equal to `value`; PyTorch: `constant_`.
///
/// # Errors
///
/// A NaN or infinite `value`.
pub fn constant<E: Element>(shape: &[usize], value: f64) -> Result<Tensor<E>> {
    let value = crate::error::finite("constant", "value", value)?;
    Ok(Tensor::full(shape, E::of(value)))
}

/// The identity matrix (ones on the main diagonal, also for non-square shapes); PyTorch: `eye_`.
///
/// # Errors
///
/// [`InitError::NotMatrix`] unless `shape` is 2-D.
pub fn eye<E: Element>(shape: &[usize]) -> Result<Tensor<E>> {
    if shape.len() != 2 {
        return Err(InitError::NotMatrix {
            scheme: "eye",
            shape: shape.to_vec(),
        });
    }
    Ok(Tensor::from_fn(shape, |i| {
        if i[0] == i[1] { E::one() } else { E::zero() }
    }))
}

/// `U[a, b)`; PyTorch: `uniform_(a, b)`.
///
/// ```text
/// mean = (a+b)/2    std = (b−a)/√12
/// ```
///
/// # Errors
///
/// `a > b`, or a NaN or infinite bound.
pub fn uniform<E: Element>(
    rng: &mut impl Rng,
    shape: &[usize],
    a: f64,
    b: f64,
) -> Result<Tensor<E>> {
    Init::Uniform { a, b }.sample(rng, shape)
}

/// `N(mean, std²)`; PyTorch: `normal_(mean, std)`.
///
/// # Errors
///
/// `std < 0`, or a NaN or infinite parameter.
pub fn normal<E: Element>(
    rng: &mut impl Rng,
    shape: &[usize],
    mean: f64,
    std: f64,
) -> Result<Tensor<E>> {
    Init::Normal { mean, std }.sample(rng, shape)
}
