//! A network: a sequence of layers, the tape they record on and the parameters they train.

use downhill_autograd::{ParamStore, Tape, Var};
use downhill_init::Init;
use downhill_tensor::{Element, Tensor};

use downhill_norm::{BatchNormConfig, LayerNormConfig};
use downhill_reg::{Dropout, GaussianNoise};

use crate::layers::{
    Activation, ActivationLayer, BatchNorm1d, DropoutLayer, Flatten, Forward, GaussianNoiseLayer,
    LayerNormLayer, Linear, Module,
};
use crate::{DefaultRng, Error, Mode, Result};

/// One layer of a [`NetSpec`], serializable so configs and checkpoints can name it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "layer")]
pub enum LayerSpec {
    /// [`Linear`] to `out` features; `init` defaults to PyTorch's `nn.Linear` default.
    Linear {
        /// Output features.
        out: usize,
        /// Weight initialization (by name in configs, e.g. `"he_normal"`).
        #[serde(default)]
        init: Option<Init>,
        /// Whether the layer has a bias (default true).
        #[serde(default = "yes")]
        bias: bool,
    },
    /// An activation.
    Activation {
        /// Which one.
        #[serde(flatten)]
        kind: Activation,
    },
    /// [`Flatten`].
    Flatten,
    /// [`BatchNorm1d`] over the current width.
    BatchNorm {
        /// `ε` (default 1e-5).
        #[serde(default = "default_eps")]
        eps: f64,
        /// Running-statistics momentum (default 0.1; `null` = cumulative average).
        #[serde(default = "default_momentum")]
        momentum: Option<f64>,
    },
    /// [`LayerNormLayer`] over the current width.
    LayerNorm {
        /// `ε` (default 1e-5).
        #[serde(default = "default_eps")]
        eps: f64,
    },
    /// [`DropoutLayer`] with drop probability `p`.
    Dropout {
        /// The probability of zeroing a unit, in `[0, 1]`.
        p: f64,
    },
    /// [`GaussianNoiseLayer`] with standard deviation `std`.
    GaussianNoise {
        /// The noise's standard deviation, `>= 0`.
        std: f64,
    },
}

fn default_eps() -> f64 {
    1e-5
}

fn default_momentum() -> Option<f64> {
    Some(0.1)
}

fn yes() -> bool {
    true
}

/// The architecture of a [`Network`]: input width and layers, as PyTorch's `nn.Sequential`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NetSpec {
    /// Input features.
    pub input: usize,
    /// The layers, in order.
    pub layers: Vec<LayerSpec>,
}

impl NetSpec {
    /// A multilayer perceptron `input → hidden… → output` with `activation` after each hidden
    /// `Linear`, all weights initialized by `init` (PyTorch's default when `None`).
    pub fn mlp(
        input: usize,
        hidden: &[usize],
        output: usize,
        activation: Activation,
        init: Option<Init>,
    ) -> Self {
        let mut layers = Vec::new();
        for &h in hidden {
            layers.push(LayerSpec::Linear {
                out: h,
                init,
                bias: true,
            });
            layers.push(LayerSpec::Activation { kind: activation });
        }
        layers.push(LayerSpec::Linear {
            out: output,
            init,
            bias: true,
        });
        Self { input, layers }
    }

    /// The number of scalars in the network's parameters and buffers, or `None` if it
    /// overflows (a hostile spec): lets a loader refuse a spec that the file cannot back before
    /// allocating anything.
    pub fn num_scalars(&self) -> Option<usize> {
        let mut width = self.input;
        let mut total = 0usize;
        for l in &self.layers {
            let add = match l {
                LayerSpec::Linear { out, bias, .. } => {
                    let w = out
                        .checked_mul(width)?
                        .checked_add(if *bias { *out } else { 0 })?;
                    width = *out;
                    w
                }
                // γ, β, running mean and variance, and the batch counter.
                LayerSpec::BatchNorm { .. } => width.checked_mul(4)?.checked_add(1)?,
                LayerSpec::LayerNorm { .. } => width.checked_mul(2)?,
                _ => 0,
            };
            total = total.checked_add(add)?;
        }
        Some(total)
    }

    /// The output width.
    pub fn output(&self) -> usize {
        self.layers.iter().fold(self.input, |w, l| match l {
            LayerSpec::Linear { out, .. } => *out,
            _ => w,
        })
    }
}

/// A trainable network: layers applied in order (as `nn.Sequential`), recording on the network's
/// own [`Tape`], which owns the parameters.
///
/// ```
/// use downhill::{Activation, Mode, NetSpec, Network};
/// use downhill::Tensor;
/// use rand::SeedableRng;
///
/// let mut rng = downhill::DefaultRng::seed_from_u64(0);
/// let spec = NetSpec::mlp(4, &[8], 3, Activation::Relu, None);
/// let mut net = Network::<f32>::from_spec(&spec, &mut rng).unwrap();
/// assert_eq!(net.param_names(), ["0.weight", "0.bias", "2.weight", "2.bias"]);
/// let probs = net.predict_proba(&Tensor::zeros(&[5, 4]), &mut rng).unwrap();
/// assert_eq!(probs.shape(), &[5, 3]);
/// ```
pub struct Network<E: Element = f32> {
    tape: Tape<E>,
    layers: Vec<Box<dyn Module<E>>>,
    input: usize,
    width: usize,
    spec: Option<NetSpec>,
}

impl<E: Element> std::fmt::Debug for Network<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let layers: Vec<String> = self.layers.iter().map(|l| l.describe()).collect();
        f.debug_struct("Network")
            .field("layers", &layers)
            .field("params", &self.tape.params().num_elements())
            .finish()
    }
}

impl<E: Element> Network<E> {
    /// An empty network taking `input` features; add layers with [`Network::push`].
    pub fn new(input: usize) -> Self {
        Self {
            tape: Tape::new(),
            layers: Vec::new(),
            input,
            width: input,
            spec: None,
        }
    }

    /// Builds the network a [`NetSpec`] describes, drawing initial weights from `rng`.
    ///
    /// # Errors
    /// [`Error::Config`] for a size of 0 or an inconsistent layer; an initialization error.
    pub fn from_spec(spec: &NetSpec, rng: &mut DefaultRng) -> Result<Self> {
        if spec.input == 0 {
            return Err(Error::config(
                "input",
                "a network needs at least one input feature",
            ));
        }
        let mut net = Self::new(spec.input);
        for layer in &spec.layers {
            net.push_spec(layer, rng)?;
        }
        net.spec = Some(spec.clone());
        Ok(net)
    }

    fn push_spec(&mut self, layer: &LayerSpec, rng: &mut DefaultRng) -> Result<()> {
        let width = self.width;
        match layer {
            LayerSpec::Linear { out, init, bias } => {
                let (out, init, bias) = (*out, *init, *bias);
                self.push(|store, prefix| {
                    Ok(Box::new(Linear::new(
                        store, prefix, width, out, init, bias, rng,
                    )?))
                })
            }
            LayerSpec::Activation { kind } => {
                self.push(|_, _| Ok(Box::new(ActivationLayer(*kind))))
            }
            LayerSpec::Flatten => self.push(|_, _| Ok(Box::new(Flatten))),
            LayerSpec::BatchNorm { eps, momentum } => {
                let config = BatchNormConfig {
                    eps: *eps,
                    momentum: *momentum,
                    ..BatchNormConfig::new(width)
                };
                self.push(|store, prefix| Ok(Box::new(BatchNorm1d::new(store, prefix, config)?)))
            }
            LayerSpec::LayerNorm { eps } => {
                let config = LayerNormConfig {
                    eps: *eps,
                    ..LayerNormConfig::new(&[width])
                };
                self.push(|store, prefix| Ok(Box::new(LayerNormLayer::new(store, prefix, config)?)))
            }
            LayerSpec::Dropout { p } => {
                let d = Dropout::new(*p)?;
                self.push(|_, _| Ok(Box::new(DropoutLayer(d))))
            }
            LayerSpec::GaussianNoise { std } => {
                let n = GaussianNoise::new(*std)?;
                self.push(|_, _| Ok(Box::new(GaussianNoiseLayer(n))))
            }
        }
    }

    /// Appends a layer built by `make`, which receives the parameter store and the layer's name
    /// prefix (`"{index}."`, as `nn.Sequential`), so custom layers register parameters with the
    /// right names.
    ///
    /// # Errors
    /// Whatever `make` returns.
    pub fn push(
        &mut self,
        make: impl FnOnce(&mut ParamStore<E>, &str) -> Result<Box<dyn Module<E>>>,
    ) -> Result<()> {
        let prefix = format!("{}.", self.layers.len());
        let layer = make(self.tape.params_mut(), &prefix)?;
        self.width = layer.output_features(self.width);
        self.layers.push(layer);
        self.spec = None;
        Ok(())
    }

    /// The spec this network was built from, if it was built from one (and not changed since).
    pub fn spec(&self) -> Option<&NetSpec> {
        self.spec.as_ref()
    }

    /// The input width.
    pub fn input_features(&self) -> usize {
        self.input
    }

    /// The output width.
    pub fn output_features(&self) -> usize {
        self.width
    }

    /// The layers.
    pub fn layers(&self) -> &[Box<dyn Module<E>>] {
        &self.layers
    }

    /// The layers, mutably (e.g. to restore buffers).
    pub fn layers_mut(&mut self) -> &mut [Box<dyn Module<E>>] {
        &mut self.layers
    }

    /// The tape the network records on.
    pub fn tape(&self) -> &Tape<E> {
        &self.tape
    }

    /// The tape, mutably (to add a loss, run backward, or read values).
    pub fn tape_mut(&mut self) -> &mut Tape<E> {
        &mut self.tape
    }

    /// The parameters.
    pub fn params(&self) -> &ParamStore<E> {
        self.tape.params()
    }

    /// The parameters, mutably.
    pub fn params_mut(&mut self) -> &mut ParamStore<E> {
        self.tape.params_mut()
    }

    /// The parameter names in registration order (`"0.weight"`, `"0.bias"`, …).
    pub fn param_names(&self) -> Vec<String> {
        self.params().iter().map(|p| p.name.clone()).collect()
    }

    /// Every buffer with its full name (`"1.running_mean"`, …), as the layers report them
    /// ([`Module::buffers`] returns full names already: they carry the prefix given at build).
    pub fn buffers(&self) -> Vec<(String, &Tensor<E>)> {
        self.layers.iter().flat_map(|l| l.buffers()).collect()
    }

    /// Clears the tape and records a forward pass of `x`; returns the output handle.
    ///
    /// # Errors
    /// An input whose width differs from the network's (naming both), or a layer's error.
    pub fn forward(&mut self, x: &Tensor<E>, mode: Mode, rng: &mut DefaultRng) -> Result<Var> {
        if x.ndim() < 2 || x.shape()[1..].iter().product::<usize>() != self.input {
            return Err(Error::Data(format!(
                "network input of shape {:?}; expected [N, {}]",
                x.shape(),
                self.input
            )));
        }
        self.tape.clear();
        let mut v = self.tape.constant_copy(x);
        let mut fwd = Forward { mode, rng };
        for layer in &mut self.layers {
            v = layer.forward(&mut self.tape, v, &mut fwd)?;
        }
        Ok(v)
    }

    /// The network's outputs (logits) for `x` in evaluation mode, without recording gradients.
    ///
    /// # Errors
    /// As [`Network::forward`].
    pub fn predict(&mut self, x: &Tensor<E>, rng: &mut DefaultRng) -> Result<Tensor<E>> {
        let prev = self.tape.set_grad_enabled(false);
        let out = self
            .forward(x, Mode::Eval, rng)
            .and_then(|v| Ok(self.tape.value(v)?.clone()));
        self.tape.set_grad_enabled(prev);
        out
    }

    /// Class probabilities (softmax of [`Network::predict`]).
    ///
    /// # Errors
    /// As [`Network::forward`].
    pub fn predict_proba(&mut self, x: &Tensor<E>, rng: &mut DefaultRng) -> Result<Tensor<E>> {
        Ok(self.predict(x, rng)?.softmax(1)?)
    }
}
