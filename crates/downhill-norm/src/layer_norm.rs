//! The layer-norm layer and its tape operation with a fused backward.

use downhill_autograd::{AutogradError, CustomOp, ParamId, ParamStore, Tape, Var};
use downhill_tensor::{Element, Tensor};

use crate::{
    LayerNormConfig, LayerNormGrads, NormError, Result, RowStats, layer_norm_backward,
    layer_norm_forward,
};

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
#[derive(Debug, Clone)]
pub struct LayerNorm {
    config: LayerNormConfig,
    weight: Option<ParamId>,
    bias: Option<ParamId>,
}

impl LayerNorm {
    /// A layer-norm layer; registers `"{prefix}weight"` (ones) when `elementwise_affine` and
    /// `"{prefix}bias"` (zeros) when also `bias`.
    ///
    /// # Errors
    /// [`NormError::InvalidConfig`] from [`LayerNormConfig::validate`]; a duplicate parameter
    /// name.
    pub fn new<E: Element>(
        config: LayerNormConfig,
        params: &mut ParamStore<E>,
        prefix: &str,
    ) -> Result<Self> {
        config.validate()?;
        let shape = config.normalized_shape.clone();
        let (mut weight, mut bias) = (None, None);
        if config.elementwise_affine {
            weight = Some(params.add(format!("{prefix}weight"), Tensor::ones(&shape))?);
            if config.bias {
                bias = Some(params.add(format!("{prefix}bias"), Tensor::zeros(&shape))?);
            }
        }
        Ok(Self { config, weight, bias })
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
    pub fn forward<E: Element>(&self, tape: &mut Tape<E>, x: Var) -> Result<Var> {
        let shape = tape.value(x)?.shape().to_vec();
        let ns = &self.config.normalized_shape;
        if shape.len() < ns.len() || !shape.ends_with(ns) {
            return Err(self.shape_error(format!("[*, {}]", dims(ns)), shape));
        }
        let mut inputs = vec![x];
        for id in [self.weight, self.bias].into_iter().flatten() {
            let got = tape.params().get(id)?.value.shape().to_vec();
            if &got != ns {
                return Err(self.shape_error(format!("[{}] for a parameter", dims(ns)), got));
            }
            inputs.push(tape.param(id)?);
        }
        let mut y = Tensor::zeros(&shape);
        let stats = {
            let slice = |i: usize| inputs.get(i).map(|&v| tape.value(v).map(Tensor::as_slice));
            let gamma = slice(1).transpose()?;
            let beta = slice(2).transpose()?;
            let eps = E::of(self.config.eps);
            let d = self.config.normalized_len();
            layer_norm_forward(tape.value(x)?.as_slice(), d, eps, gamma, beta, y.as_mut_slice())
        };
        let op = LayerNormOp { d: self.config.normalized_len(), stats };
        Ok(tape.custom(&inputs, y, Box::new(op))?)
    }

    fn shape_error(&self, expected: String, actual: Vec<usize>) -> NormError {
        NormError::Shape { layer: "LayerNorm", expected, actual }
    }
}

fn dims(shape: &[usize]) -> String {
    shape.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// The recorded layer-norm op: inputs `[x]`, `[x, γ]` or `[x, γ, β]`.
struct LayerNormOp<E> {
    d: usize,
    stats: RowStats<E>,
}

impl<E: Element> CustomOp<E> for LayerNormOp<E> {
    fn name(&self) -> &str {
        "layer_norm"
    }

    fn backward(
        &self,
        inputs: &[&Tensor<E>],
        _output: &Tensor<E>,
        grad_output: &Tensor<E>,
    ) -> downhill_autograd::Result<Vec<Option<Tensor<E>>>> {
        let x = inputs.first().ok_or_else(|| AutogradError::Custom {
            op: "layer_norm".into(),
            message: "no input recorded".into(),
        })?;
        let gamma = inputs.get(1);
        let mut dx = Tensor::zeros(x.shape());
        let mut dgamma = Tensor::zeros(&[self.d]);
        let mut dbeta = Tensor::zeros(&[self.d]);
        layer_norm_backward(
            x.as_slice(),
            grad_output.as_slice(),
            self.d,
            &self.stats,
            gamma.map(|t| t.as_slice()),
            LayerNormGrads {
                dx: dx.as_mut_slice(),
                dgamma: dgamma.as_mut_slice(),
                dbeta: dbeta.as_mut_slice(),
            },
        );
        let mut grads = vec![Some(dx)];
        for (k, g) in [dgamma, dbeta].into_iter().enumerate() {
            if let Some(p) = inputs.get(k + 1) {
                grads.push(Some(g.reshape(p.shape())?));
            }
        }
        Ok(grads)
    }
}
