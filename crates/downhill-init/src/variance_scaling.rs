//! Variance-scaling schemes: LeCun, Xavier/Glorot, Kaiming/He and PyTorch's `nn.Linear` default.
//!
//! All of them follow from the lecture's
//!
//! ```text
//! Var(s) = n·Var(w)·Var(x)        for s = Σᵢ₌₁ⁿ wᵢxᵢ, zero means, independent w and x
//! ```
//!
//! Choosing `Var(w) = 1/n` keeps the variance of pre-activations constant from layer to layer
//! (LeCun); averaging the forward (`n = fan_in`) and backward (`n = fan_out`) conditions gives
//! Glorot's `2/(fan_in + fan_out)`; ReLU halves the second moment, which He compensates with a
//! factor 2. A uniform `U(−b, b)` has variance `b²/3`, hence every uniform bound is `√3·std`.
//! Standard deviations are computed in the same order of operations as PyTorch, so they agree
//! bit for bit.

use downhill_tensor::{Element, Tensor};
use rand::Rng;

use crate::error::{Result, non_negative};
use crate::fan::{FanMode, Fans};
use crate::gain::{Nonlinearity, calculate_gain};
use crate::init::Init;

/// LeCun's standard deviation (LeCun, Bottou, Orr, Müller 1998, "Efficient BackProp").
///
/// ```text
/// std = 1/√fan_in          (Var(w) = 1/fan_in)
/// ```
pub fn lecun_std(fans: Fans) -> f64 {
    1.0 / (fans.fan_in as f64).sqrt()
}

/// Glorot & Bengio's standard deviation (2010, "Understanding the difficulty of training deep
/// feedforward neural networks"), as `torch.nn.init.xavier_*`.
///
/// ```text
/// std = gain·√(2/(fan_in + fan_out))
/// ```
///
/// # Errors
///
/// A negative or non-finite `gain`.
pub fn xavier_std(fans: Fans, gain: f64) -> Result<f64> {
    let gain = non_negative("xavier", "gain", gain)?;
    Ok(gain * (2.0 / (fans.fan_in + fans.fan_out) as f64).sqrt())
}

/// He et al.'s standard deviation (2015, "Delving Deep into Rectifiers"), as
/// `torch.nn.init.kaiming_*`.
///
/// ```text
/// std = gain/√fan_mode     gain = calculate_gain(nonlinearity), √2 for ReLU
/// ```
///
/// # Errors
///
/// A non-finite leaky-ReLU slope.
pub fn kaiming_std(fans: Fans, mode: FanMode, nonlinearity: Nonlinearity) -> Result<f64> {
    let gain = calculate_gain(nonlinearity)?;
    Ok(gain / (fans.get(mode) as f64).sqrt())
}

/// The bound of PyTorch's default `nn.Linear`/`nn.ConvNd` weight init,
/// `kaiming_uniform_(w, a=√5)`.
///
/// ```text
/// gain  = √(2/(1 + √5²)) = √(1/3)
/// bound = √3·gain/√fan_in = 1/√fan_in      (up to rounding; computed as PyTorch does)
/// ```
pub fn pytorch_default_bound(fans: Fans) -> f64 {
    3f64.sqrt() * pytorch_default_std(fans)
}

/// The standard deviation of PyTorch's default `nn.Linear` weight init: `kaiming_uniform_`'s
/// internal `std = gain/√fan_in` with `gain = √(2/(1 + √5²))`, i.e. `1/√(3·fan_in)`.
pub fn pytorch_default_std(fans: Fans) -> f64 {
    let gain = calculate_gain(Nonlinearity::LeakyRelu(5f64.sqrt())).expect("√5 is finite");
    gain / (fans.fan_in as f64).sqrt()
}

/// LeCun uniform: `U(−√(3/fan_in), √(3/fan_in))`; PyTorch: `kaiming_uniform_(nonlinearity="linear")`.
///
/// # Errors
///
/// [`InitError::TooFewDims`](crate::InitError::TooFewDims) for fewer than 2 dimensions.
pub fn lecun_uniform<E: Element>(rng: &mut impl Rng, shape: &[usize]) -> Result<Tensor<E>> {
    Init::LecunUniform.sample(rng, shape)
}

/// LeCun normal: `N(0, 1/fan_in)`; PyTorch: `kaiming_normal_(nonlinearity="linear")`.
///
/// (JAX's `lecun_normal` truncates at ±2 std and rescales; this is the untruncated normal.)
///
/// # Errors
///
/// [`InitError::TooFewDims`](crate::InitError::TooFewDims) for fewer than 2 dimensions.
pub fn lecun_normal<E: Element>(rng: &mut impl Rng, shape: &[usize]) -> Result<Tensor<E>> {
    Init::LecunNormal.sample(rng, shape)
}

/// Xavier/Glorot uniform: `U(±√3·std)` with [`xavier_std`]; PyTorch: `xavier_uniform_`.
///
/// # Errors
///
/// Fewer than 2 dimensions, or a negative or non-finite `gain`.
pub fn xavier_uniform<E: Element>(
    rng: &mut impl Rng,
    shape: &[usize],
    gain: f64,
) -> Result<Tensor<E>> {
    Init::XavierUniform { gain }.sample(rng, shape)
}

/// Xavier/Glorot normal: `N(0, std²)` with [`xavier_std`]; PyTorch: `xavier_normal_`.
///
/// # Errors
///
/// Fewer than 2 dimensions, or a negative or non-finite `gain`.
pub fn xavier_normal<E: Element>(
    rng: &mut impl Rng,
    shape: &[usize],
    gain: f64,
) -> Result<Tensor<E>> {
    Init::XavierNormal { gain }.sample(rng, shape)
}

/// Kaiming/He uniform: `U(±√3·std)` with [`kaiming_std`]; PyTorch: `kaiming_uniform_`.
///
/// PyTorch's `a` argument is the slope in [`Nonlinearity::LeakyRelu`].
///
/// # Errors
///
/// Fewer than 2 dimensions, or a non-finite slope.
pub fn kaiming_uniform<E: Element>(
    rng: &mut impl Rng,
    shape: &[usize],
    mode: FanMode,
    nonlinearity: Nonlinearity,
) -> Result<Tensor<E>> {
    Init::HeUniform { mode, nonlinearity }.sample(rng, shape)
}

/// Kaiming/He normal: `N(0, std²)` with [`kaiming_std`]; PyTorch: `kaiming_normal_`.
///
/// # Errors
///
/// Fewer than 2 dimensions, or a non-finite slope.
pub fn kaiming_normal<E: Element>(
    rng: &mut impl Rng,
    shape: &[usize],
    mode: FanMode,
    nonlinearity: Nonlinearity,
) -> Result<Tensor<E>> {
    Init::HeNormal { mode, nonlinearity }.sample(rng, shape)
}

/// PyTorch's default `nn.Linear` weight: `U(±1/√fan_in)` (see [`pytorch_default_bound`]).
///
/// # Errors
///
/// Fewer than 2 dimensions.
pub fn pytorch_default<E: Element>(rng: &mut impl Rng, shape: &[usize]) -> Result<Tensor<E>> {
    Init::PytorchDefault.sample(rng, shape)
}

/// PyTorch's default `nn.Linear` bias for a weight of `weight_shape`: `U(±1/√fan_in)`, of shape
/// `[weight_shape[0]]`.
///
/// # Errors
///
/// Fewer than 2 dimensions in `weight_shape`.
pub fn pytorch_default_bias<E: Element>(
    rng: &mut impl Rng,
    weight_shape: &[usize],
) -> Result<Tensor<E>> {
    let init = Init::PytorchDefault.bias_init_for(weight_shape)?;
    init.sample(rng, &weight_shape[..1])
}
