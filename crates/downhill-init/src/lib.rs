//! # downhill-init
//!
//! Weight initialization for [downhill](https://example.invalid/downhill), on
//! [`downhill_tensor::Tensor`] alone: every scheme of `torch.nn.init`, with the same formulas
//! and parameter names, selectable by name through [`Init`].
//!
//! ```
//! use downhill_init::{Init, FanMode, Nonlinearity, kaiming_normal};
//! use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
//!
//! let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
//!
//! // A Linear(784, 256) weight is stored [out, in] = [256, 784], as in PyTorch.
//! let w = kaiming_normal::<f32>(&mut rng, &[256, 784], FanMode::FanIn, Nonlinearity::Relu).unwrap();
//! assert_eq!(w.shape(), &[256, 784]);
//!
//! // The same by name, as a config file or the command line would select it.
//! let init: Init = "xavier_uniform".parse().unwrap();
//! let mut w = downhill_tensor::Tensor::<f64>::zeros(&[256, 784]);
//! init.fill(&mut w, &mut rng).unwrap();
//! let bound = (6.0f64 / (784.0 + 256.0)).sqrt();
//! assert!(w.as_slice().iter().all(|x| x.abs() <= bound));
//!
//! // PyTorch's nn.Linear default, weight and bias.
//! let weight = Init::PytorchDefault.sample::<f32>(&mut rng, &[10, 4]).unwrap();
//! let bias = Init::PytorchDefault.bias_init_for(weight.shape()).unwrap().sample::<f32>(&mut rng, &[10]).unwrap();
//! assert!(bias.as_slice().iter().all(|b| b.abs() <= 0.5));
//!
//! // Unknown names are errors that list the valid ones.
//! let err = "he_normall".parse::<Init>().unwrap_err();
//! assert!(err.to_string().contains("he_normal"));
//! ```
//!
//! ## Why the scale matters
//!
//! For a unit `s = Σᵢ₌₁ⁿ wᵢxᵢ` with independent zero-mean weights and inputs, the lecture's
//!
//! ```text
//! Var(s) = n·Var(w)·Var(x)
//! ```
//!
//! says the variance is multiplied by `n·Var(w)` per layer. Too small (the lecture's
//! `N(0, 0.01²)`) and activations and gradients vanish geometrically with depth; too large and
//! they explode or saturate. [`Init::LecunNormal`] sets `Var(w) = 1/fan_in` (LeCun et al. 1998),
//! [`Init::XavierUniform`] `2/(fan_in + fan_out)` (Glorot & Bengio 2010), [`Init::HeNormal`]
//! `2/fan_in` for ReLU (He et al. 2015), and [`Init::Orthogonal`] preserves norms exactly in
//! linear networks (Saxe et al. 2014). The [`depth_probe`] module measures all this.
//!
//! ## Conventions
//!
//! - Weights are `[out, in, k…]` as in PyTorch; see [`fans`] for `fan_in`/`fan_out`.
//! - Hyperparameters are `f64`; values are drawn in `f64` and rounded to the element type.
//! - Every random function takes `&mut impl Rng` and is reproducible for a seeded generator.
//! - Bad parameters (`std < 0`, `a > b`, NaN, fans of a 1-D shape, unknown names) are
//!   [`InitError`]s, never panics, and leave the target tensor untouched.

mod basic;
pub mod depth_probe;
mod draw;
mod error;
mod fan;
mod gain;
mod init;
mod names;
mod orthogonal;
mod special;
mod truncated_normal;
mod variance_scaling;

pub use basic::{constant, eye, normal, ones, uniform, zeros};
pub use error::{InitError, Result};
pub use fan::{FanMode, Fans, fans};
pub use gain::{NONLINEARITY_NAMES, Nonlinearity, calculate_gain};
pub use init::Init;
pub use names::INIT_NAMES;
pub use orthogonal::orthogonal;
pub use truncated_normal::{trunc_normal, truncated_normal_moments};
pub use variance_scaling::{
    kaiming_normal, kaiming_std, kaiming_uniform, lecun_normal, lecun_std, lecun_uniform,
    pytorch_default, pytorch_default_bias, pytorch_default_bound, pytorch_default_std,
    xavier_normal, xavier_std, xavier_uniform,
};
