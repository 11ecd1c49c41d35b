//! The layer-norm layer and its tape operation with a fused backward.

use std::marker::PhantomData;

use downhill_autograd::{ParamId, ParamStore, Tape, Var};
use downhill_tensor::{Element, Tensor};

use crate::{LayerNormConfig, NormError, Result, layer_norm};

/// Layer normalization (Ba, Kiros & Hinton 2016), exactly as PyTorch's `nn.LayerNorm`: each
/// sample is normalized over its last `k` dimensions (`normalized_shape`), with no running
/// statistics, so training and evaluation compute the same thing.
///
/// ```text
/// μ = (1/D) Σ x      σ² = (1/D) Σ (x − μ)²  (biased)      y = γ ⊙ (x − μ)/√(σ² + ε) + β
/// ```
/// over the `D` values of the normalized dimensions; `γ` ("weight") and `β` ("bias") have
/// `normalized_shape` and are registered in the [`ParamStore`] as `"{prefix}weight"` and
/// `"{prefix}bias"`.
///
/// ```
/// use downhill_autograd::Tape;
/// use downhill_norm::{LayerNorm, LayerNormConfig};
/// use downhill_tensor::Tensor;
///
/// let mut tape = Tape::<f64>::new();
/// let ln = LayerNorm::new(LayerNormConfig::new(&[2]), tape.params_mut(), "ln.").unwrap();
/// let x = tape.input(Tensor::from_vec(&[2, 2], vec![1.0, 3.0, -5.0, 5.0]).unwrap());
/// let y = ln.forward(&mut tape, x).unwrap();
/// let y = tape.value(y).unwrap().as_slice();
/// assert!((y[0] + 1.0).abs() < 1e-4 && (y[3] - 1.0).abs() < 1e-6);
/// ```
#[derive(Debug, Clone)]
pub struct LayerNorm<E: Element = f32> {
    config: LayerNormConfig,
    weight: Option<ParamId>,
    bias: Option<ParamId>,
    element: PhantomData<fn() -> E>,
}

impl<E: Element> LayerNorm<E> {
    /// A layer-norm layer; registers `"{prefix}weight"` (ones) when `elementwise_affine` and
    /// `"{prefix}bias"` (zeros) when also `bias`.
    ///
    /// # Errors
    /// [`NormError::InvalidConfig`] from [`LayerNormConfig::validate`]; a duplicate parameter
    /// name.
    pub fn new(config: LayerNormConfig, params: &mut ParamStore<E>, prefix: &str) -> Result<Self> {
        config.validate()?;
        let shape = config.normalized_shape.clone();
        let (mut weight, mut bias) = (None, None);
        if config.elementwise_affine {
            weight = Some(params.add(format!("{prefix}weight"), Tensor::ones(&shape))?);
            if config.bias {
                bias = Some(params.add(format!("{prefix}bias"), Tensor::zeros(&shape))?);
            }
        }
        Ok(Self {
            config,
            weight,
            bias,
            element: PhantomData,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &LayerNormConfig {
        &self.config
    }

    /// The id of `γ` ("weight"), if elementwise affine.
    pub fn weight(&self) -> Option<ParamId> {
        self.weight
    }

    /// The id of `β` ("bias"), if elementwise affine with bias.
    pub fn bias(&self) -> Option<ParamId> {
        self.bias
    }

    /// Normalizes `x` of shape `[*, normalized_shape…]` over its trailing dimensions.
    ///
    /// # Errors
    /// [`NormError::Shape`] when `x`'s trailing dimensions are not `normalized_shape` (or a
    /// parameter was replaced by one of another shape); a stale or wrong-tape handle.
    pub fn forward(&self, tape: &mut Tape<E>, x: Var) -> Result<Var> {
        let (weight, bias) = (
            self.param_var(tape, self.weight)?,
            self.param_var(tape, self.bias)?,
        );
        let c = &self.config;
        layer_norm(tape, x, &c.normalized_shape, weight, bias, c.eps).map_err(|e| match e {
            NormError::Shape {
                expected, actual, ..
            } => self.shape_error(expected, actual),
            e => e,
        })
    }

    fn param_var(&self, tape: &mut Tape<E>, id: Option<ParamId>) -> Result<Option<Var>> {
        id.map(|id| tape.param(id))
            .transpose()
            .map_err(NormError::from)
    }

    fn shape_error(&self, expected: String, actual: Vec<usize>) -> NormError {
        NormError::Shape {
            layer: "LayerNorm",
            expected,
            actual,
        }
    }
}
