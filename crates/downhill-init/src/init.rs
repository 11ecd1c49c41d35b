//! [`Init`]: every scheme by name, with `sample` and `fill`.

use downhill_tensor::{Element, Tensor};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::draw::Draw;
use crate::error::{InitError, Result, interval, non_negative};
use crate::fan::{FanMode, fans_for};
use crate::gain::Nonlinearity;
use crate::variance_scaling::{kaiming_std, lecun_std, pytorch_default_std, xavier_std};

/// A weight-initialization scheme, selectable by name from configs and the command line.
///
/// The string form (used by [`Display`](std::fmt::Display), [`FromStr`](std::str::FromStr) and
/// serde alike) is the snake_case name, optionally followed by the parameters that differ from
/// their defaults: `"he_normal"`, `"xavier_uniform(gain=1.6666666666666667)"`,
/// `"he_uniform(mode=fan_out, nonlinearity=leaky_relu, a=0.2)"`, `"normal(mean=0, std=0.02)"`.
/// See [`INIT_NAMES`](crate::INIT_NAMES) for every name.
///
/// | name | variant | distribution (`n_in`, `n_out` = fans) | PyTorch |
/// |---|---|---|---|
/// | `zeros` | [`Init::Zeros`] | 0 | `zeros_` |
/// | `ones` | [`Init::Ones`] | 1 | `ones_` |
/// | `constant` | [`Init::Constant`] | `value` | `constant_` |
/// | `eye` | [`Init::Eye`] | identity (2-D) | `eye_` |
/// | `uniform` | [`Init::Uniform`] | `U[a, b)` | `uniform_` |
/// | `normal` | [`Init::Normal`] | `N(mean, std²)` | `normal_` |
/// | `truncated_normal` | [`Init::TruncatedNormal`] | `N(mean, std²)` cut to `[a, b]` | `trunc_normal_` |
/// | `small_normal` | [`Init::SmallNormal`] | `N(0, 0.01²)` | `normal_(std=0.01)` |
/// | `lecun_uniform` | [`Init::LecunUniform`] | `U(±√(3/n_in))` | `kaiming_uniform_(nonlinearity="linear")` |
/// | `lecun_normal` | [`Init::LecunNormal`] | `N(0, 1/n_in)` | `kaiming_normal_(nonlinearity="linear")` |
/// | `xavier_uniform` | [`Init::XavierUniform`] | `U(±gain·√(6/(n_in+n_out)))` | `xavier_uniform_` |
/// | `xavier_normal` | [`Init::XavierNormal`] | `N(0, gain²·2/(n_in+n_out))` | `xavier_normal_` |
/// | `he_uniform` | [`Init::HeUniform`] | `U(±gain·√(3/n_mode))` | `kaiming_uniform_` |
/// | `he_normal` | [`Init::HeNormal`] | `N(0, gain²/n_mode)` | `kaiming_normal_` |
/// | `orthogonal` | [`Init::Orthogonal`] | `gain·Q`, Q Haar-orthogonal | `orthogonal_` |
/// | `pytorch_default` | [`Init::PytorchDefault`] | `U(±1/√n_in)` | `nn.Linear`'s `reset_parameters` |
///
/// ```
/// use downhill_init::Init;
/// use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
///
/// let init: Init = "he_normal".parse().unwrap();
/// let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
/// let w = init.sample::<f32>(&mut rng, &[256, 128]).unwrap(); // Linear(128, 256)
/// assert_eq!(w.shape(), &[256, 128]);
/// assert_eq!(init.std(&[256, 128]).unwrap(), (2.0f64 / 128.0).sqrt());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
#[non_exhaustive]
pub enum Init {
    /// All zeros. Every hidden unit then computes the same function and receives the same
    /// gradient, so the symmetry is never broken: fine for biases, useless for weights.
    Zeros,
    /// All ones.
    Ones,
    /// Every entry `value` (default 0).
    Constant {
        /// The value.
        value: f64,
    },
    /// The identity matrix (2-D shapes only); PyTorch's `eye_`, for non-square too.
    Eye,
    /// `U[a, b)` (defaults `a = 0`, `b = 1`, as PyTorch).
    Uniform {
        /// Lower bound.
        a: f64,
        /// Upper bound.
        b: f64,
    },
    /// `N(mean, std²)` (defaults 0 and 1).
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation, `>= 0`.
        std: f64,
    },
    /// `N(mean, std²)` conditioned on `[a, b]`; `a`, `b` are absolute bounds, not multiples
    /// of `std` (PyTorch's `trunc_normal_` semantics; defaults 0, 1, −2, 2).
    TruncatedNormal {
        /// Mean of the untruncated normal.
        mean: f64,
        /// Standard deviation of the untruncated normal, `> 0`.
        std: f64,
        /// Lower bound (absolute).
        a: f64,
        /// Upper bound (absolute).
        b: f64,
    },
    /// `N(0, 0.01²)`: the lecture's "small random numbers"; its activations vanish with depth.
    SmallNormal,
    /// LeCun uniform, `Var(w) = 1/fan_in`.
    LecunUniform,
    /// LeCun normal, `Var(w) = 1/fan_in`.
    LecunNormal,
    /// Xavier/Glorot uniform, `std = gain·√(2/(fan_in+fan_out))` (default gain 1).
    XavierUniform {
        /// Gain (see [`calculate_gain`](crate::calculate_gain)).
        gain: f64,
    },
    /// Xavier/Glorot normal, `std = gain·√(2/(fan_in+fan_out))` (default gain 1).
    XavierNormal {
        /// Gain.
        gain: f64,
    },
    /// Kaiming/He uniform, `std = gain/√fan_mode` (defaults: fan_in, ReLU).
    HeUniform {
        /// Which fan to preserve.
        mode: FanMode,
        /// The following nonlinearity, whose gain is applied.
        nonlinearity: Nonlinearity,
    },
    /// Kaiming/He normal, `std = gain/√fan_mode` (defaults: fan_in, ReLU).
    HeNormal {
        /// Which fan to preserve.
        mode: FanMode,
        /// The following nonlinearity, whose gain is applied.
        nonlinearity: Nonlinearity,
    },
    /// `gain·Q` with Q orthogonal (default gain 1).
    Orthogonal {
        /// Gain.
        gain: f64,
    },
    /// PyTorch's default for `nn.Linear`/`nn.ConvNd` weights: `kaiming_uniform_(a=√5)`, which is
    /// `U(±1/√fan_in)`; pair it with [`Init::bias_init_for`] for the bias.
    #[default]
    PytorchDefault,
}

impl Init {
    /// Draws a new tensor of `shape` from the scheme.
    ///
    /// # Errors
    ///
    /// As [`Init::fill`].
    pub fn sample<E: Element>(&self, rng: &mut impl Rng, shape: &[usize]) -> Result<Tensor<E>> {
        let draw = self.resolve(shape)?;
        let mut t = Tensor::zeros(shape);
        draw.fill(t.as_mut_slice(), shape, rng);
        Ok(t)
    }

    /// Overwrites `tensor` with draws from the scheme, using the tensor's shape for the fans.
    ///
    /// # Errors
    ///
    /// Fan-based schemes and `orthogonal` need at least 2 dimensions, `eye` exactly 2
    /// ([`InitError::TooFewDims`], [`InitError::NotMatrix`]); negative standard deviations or
    /// gains, `a > b` and NaN or infinite parameters are errors too. On error the tensor is
    /// left untouched.
    pub fn fill<E: Element>(&self, tensor: &mut Tensor<E>, rng: &mut impl Rng) -> Result<()> {
        let shape = tensor.shape().to_vec();
        let draw = self.resolve(&shape)?;
        draw.fill(tensor.as_mut_slice(), &shape, rng);
        Ok(())
    }

    /// The standard deviation of one entry under the scheme, for a tensor of `shape`.
    ///
    /// For `orthogonal` it is `gain/√max(rows, cols)` (each unit row or column spreads its
    /// norm over that many entries); for `eye` the spread of the 0/1 entries about their mean.
    /// A zero fan (possible only for empty tensors, which sampling leaves empty) gives `inf`.
    ///
    /// # Errors
    ///
    /// As [`Init::fill`].
    pub fn std(&self, shape: &[usize]) -> Result<f64> {
        if self.is_fan_based() {
            return Ok(self.resolve_fan_based(shape)?.1);
        }
        Ok(match self.resolve(shape)? {
            Draw::Constant(_) => 0.0,
            Draw::Eye => {
                let n = (shape[0] * shape[1]).max(1) as f64;
                let p = shape[0].min(shape[1]) as f64 / n;
                (p * (1.0 - p)).sqrt()
            }
            Draw::Uniform(lo, hi) => (hi - lo) / 12f64.sqrt(),
            Draw::Normal(_, std) => std,
            Draw::TruncNormal { mean, std, a, b } => {
                crate::truncated_normal::truncated_normal_moments(mean, std, a, b).1
            }
            Draw::Orthogonal(_) => unreachable!("orthogonal is fan-based"),
        })
    }

    /// The interval `[lo, hi]` every entry lies in (infinite for unbounded schemes).
    ///
    /// # Errors
    ///
    /// As [`Init::fill`].
    pub fn support(&self, shape: &[usize]) -> Result<(f64, f64)> {
        Ok(match self.resolve(shape)? {
            Draw::Constant(v) => (v, v),
            Draw::Eye => (0.0, 1.0),
            Draw::Uniform(lo, hi) => (lo, hi),
            Draw::TruncNormal { a, b, .. } => (a, b),
            Draw::Orthogonal(gain) => (-gain, gain),
            Draw::Normal(..) => (f64::NEG_INFINITY, f64::INFINITY),
        })
    }

    /// How to initialize the bias of a layer whose weight has `weight_shape`.
    ///
    /// For [`Init::PytorchDefault`] this is PyTorch's `U(±1/√fan_in)` with the weight's
    /// `fan_in` (`U(0, 0)` if `fan_in = 0`, as PyTorch); for every other scheme it is
    /// [`Init::Zeros`], the usual convention for biases.
    ///
    /// ```
    /// use downhill_init::Init;
    /// let bias = Init::PytorchDefault.bias_init_for(&[10, 4]).unwrap();
    /// assert_eq!(bias, Init::Uniform { a: -0.5, b: 0.5 });
    /// assert_eq!(Init::XavierUniform { gain: 1.0 }.bias_init_for(&[10, 4]).unwrap(), Init::Zeros);
    /// ```
    ///
    /// # Errors
    ///
    /// [`InitError::TooFewDims`] if `weight_shape` has fewer than 2 dimensions.
    pub fn bias_init_for(&self, weight_shape: &[usize]) -> Result<Init> {
        let fans = fans_for("bias_init_for", weight_shape)?;
        Ok(match self {
            Init::PytorchDefault => {
                let bound = if fans.fan_in > 0 {
                    1.0 / (fans.fan_in as f64).sqrt()
                } else {
                    0.0
                };
                Init::Uniform {
                    a: -bound,
                    b: bound,
                }
            }
            _ => Init::Zeros,
        })
    }

    /// Validates the parameters and resolves the scheme to a primitive distribution for `shape`.
    pub(crate) fn resolve(&self, shape: &[usize]) -> Result<Draw> {
        let name = self.name();
        Ok(match *self {
            Init::Zeros => Draw::Constant(0.0),
            Init::Ones => Draw::Constant(1.0),
            Init::Constant { value } => Draw::Constant(crate::error::finite(name, "value", value)?),
            Init::Eye if shape.len() == 2 => Draw::Eye,
            Init::Eye => {
                return Err(InitError::NotMatrix {
                    scheme: name,
                    shape: shape.to_vec(),
                });
            }
            Init::Uniform { a, b } => {
                let (a, b) = interval(name, a, b)?;
                Draw::Uniform(a, b)
            }
            Init::Normal { mean, std } => Draw::Normal(
                crate::error::finite(name, "mean", mean)?,
                non_negative(name, "std", std)?,
            ),
            Init::TruncatedNormal { mean, std, a, b } => {
                crate::truncated_normal::resolve(mean, std, a, b)?
            }
            Init::SmallNormal => Draw::Normal(0.0, 0.01),
            _ => self.resolve_fan_based(shape)?.0,
        })
    }

    /// [`Init::resolve`] for the schemes that need the fans of `shape`: the distribution and
    /// its std, computed in PyTorch's order of operations (not recovered from the bound).
    fn resolve_fan_based(&self, shape: &[usize]) -> Result<(Draw, f64)> {
        let name = self.name();
        let fans = fans_for(name, shape)?;
        let sqrt3 = 3f64.sqrt();
        let uniform = |std: f64| (Draw::Uniform(-sqrt3 * std, sqrt3 * std), std);
        let normal = |std: f64| (Draw::Normal(0.0, std), std);
        Ok(match *self {
            Init::LecunUniform => uniform(lecun_std(fans)),
            Init::LecunNormal => normal(lecun_std(fans)),
            Init::XavierUniform { gain } => uniform(xavier_std(fans, gain)?),
            Init::XavierNormal { gain } => normal(xavier_std(fans, gain)?),
            Init::HeUniform { mode, nonlinearity } => {
                uniform(kaiming_std(fans, mode, nonlinearity)?)
            }
            Init::HeNormal { mode, nonlinearity } => normal(kaiming_std(fans, mode, nonlinearity)?),
            Init::PytorchDefault => uniform(pytorch_default_std(fans)),
            Init::Orthogonal { gain } => {
                let gain = non_negative(name, "gain", gain)?;
                let rows = shape[0];
                let cols = shape.iter().product::<usize>() / rows.max(1);
                (
                    Draw::Orthogonal(gain),
                    gain / (rows.max(cols) as f64).sqrt(),
                )
            }
            _ => unreachable!("resolve handles every scheme without fans"),
        })
    }

    /// Whether the scheme is resolved by [`Init::resolve_fan_based`].
    fn is_fan_based(&self) -> bool {
        !matches!(
            self,
            Init::Zeros
                | Init::Ones
                | Init::Constant { .. }
                | Init::Eye
                | Init::Uniform { .. }
                | Init::Normal { .. }
                | Init::TruncatedNormal { .. }
                | Init::SmallNormal
        )
    }
}
