//! Measure how an initialization propagates signal through a deep plain MLP.
//!
//! A standard-normal batch goes forward through `L` bias-free layers `s_l = h_{l−1}·W_lᵀ`,
//! `h_l = f(s_l)`, with every `W_l` (`[widths[l+1], widths[l]]`, PyTorch's layout) drawn from
//! the scheme; then a standard-normal gradient `∂L/∂h_L` (the gradient of the random
//! projection `L = Σ g⊙h_L`) goes back by hand:
//!
//! ```text
//! ∂L/∂s_l = ∂L/∂h_l ⊙ f'(s_l)        ∂L/∂h_{l−1} = ∂L/∂s_l · W_l
//! ```
//!
//! With the lecture's `Var(s) = n·Var(w)·Var(x)`, `Var(s_l)` shrinks by `n·Var(w)` (times what
//! the nonlinearity keeps) per layer: `N(0, 0.01²)` with `n = 100` shrinks the std tenfold per
//! layer, Xavier keeps tanh networks near scale, He keeps ReLU networks at scale, and zero
//! weights make every hidden unit identical (see [`LayerStats::unit_spread`]).
//!
//! ```
//! use downhill_init::{Init, depth_probe::{Activation, activation_stats}};
//! use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
//!
//! let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
//! let he: Init = "he_normal".parse().unwrap();
//! let stats = activation_stats::<f64>(&he, Activation::Relu, &[64; 11], 128, &mut rng).unwrap();
//! let ratio = stats[9].pre_activation.std / stats[0].pre_activation.std;
//! assert!(0.5 < ratio && ratio < 2.0);
//! ```

use downhill_tensor::{Element, Tensor, Transpose};
use rand::Rng;

use crate::error::{InitError, Result};
use crate::init::Init;

/// The elementwise nonlinearity between the probe's layers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    /// `f(s) = s`: a deep linear network.
    Identity,
    /// `f(s) = tanh(s)`.
    Tanh,
    /// `f(s) = max(0, s)`.
    Relu,
    /// `f(s) = s` for `s > 0`, `slope·s` otherwise.
    LeakyRelu(f64),
    /// `f(s) = 1/(1+e^{−s})`.
    Sigmoid,
}

impl Activation {
    fn forward<E: Element>(self, s: &Tensor<E>) -> Tensor<E> {
        match self {
            Activation::Identity => s.clone(),
            Activation::Tanh => s.tanh(),
            Activation::Relu => s.relu(),
            Activation::LeakyRelu(slope) => s.leaky_relu(E::of(slope)),
            Activation::Sigmoid => s.sigmoid(),
        }
    }

    fn derivative<E: Element>(self, s: &Tensor<E>) -> Tensor<E> {
        match self {
            Activation::Identity => Tensor::ones(s.shape()),
            Activation::Tanh => s.tanh_grad(),
            Activation::Relu => s.relu_grad(),
            Activation::LeakyRelu(slope) => s.leaky_relu_grad(E::of(slope)),
            Activation::Sigmoid => s.sigmoid_grad(),
        }
    }
}

/// Mean and (population) standard deviation of a tensor's entries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    /// Mean of the entries.
    pub mean: f64,
    /// Standard deviation `√(mean((x − mean)²))`.
    pub std: f64,
}

impl Moments {
    /// The moments of `t`'s entries (computed in f64).
    pub fn of<E: Element>(t: &Tensor<E>) -> Moments {
        let n = t.len().max(1) as f64;
        let mean = t.as_slice().iter().map(|x| x.as_f64()).sum::<f64>() / n;
        let var = t
            .as_slice()
            .iter()
            .map(|x| (x.as_f64() - mean).powi(2))
            .sum::<f64>()
            / n;
        Moments {
            mean,
            std: var.sqrt(),
        }
    }
}

/// Statistics of one layer of the probe (`layer` counts from 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayerStats {
    /// 1-based layer index.
    pub layer: usize,
    /// Of the pre-activations `s_l = h_{l−1}·W_lᵀ`.
    pub pre_activation: Moments,
    /// Of the activations `h_l = f(s_l)`.
    pub activation: Moments,
    /// Of the backpropagated gradients `∂L/∂s_l`.
    pub gradient: Moments,
    /// The largest difference between two units' activations on the same example: 0 exactly
    /// when all units of the layer compute the same thing (the symmetry zero init never breaks).
    pub unit_spread: f64,
}

/// Every intermediate tensor of one probe run, each `[batch, width]`.
#[derive(Debug, Clone)]
pub struct ProbeTrace<E: Element> {
    /// The standard-normal input batch `h_0`, `[batch, widths[0]]`.
    pub input: Tensor<E>,
    /// The standard-normal output gradient `g = ∂L/∂h_L`.
    pub output_gradient: Tensor<E>,
    /// The weights `W_l`, `[widths[l+1], widths[l]]`.
    pub weights: Vec<Tensor<E>>,
    /// `s_l` per layer.
    pub pre_activations: Vec<Tensor<E>>,
    /// `h_l` per layer.
    pub activations: Vec<Tensor<E>>,
    /// `∂L/∂s_l` per layer.
    pub gradients: Vec<Tensor<E>>,
}

/// Runs the probe and keeps every tensor (see the [module docs](self)).
///
/// # Errors
///
/// Fewer than two widths, a zero width or batch ([`InitError::Probe`]), or the scheme's errors.
pub fn trace<E: Element>(
    init: &Init,
    activation: Activation,
    widths: &[usize],
    batch: usize,
    rng: &mut impl Rng,
) -> Result<ProbeTrace<E>> {
    if widths.len() < 2 || batch == 0 || widths.contains(&0) {
        return Err(InitError::Probe(format!(
            "need at least two nonzero widths and a nonzero batch, got widths {widths:?}, batch {batch}"
        )));
    }
    let weights = widths
        .windows(2)
        .map(|w| init.sample::<E>(rng, &[w[1], w[0]]))
        .collect::<Result<Vec<_>>>()?;
    let input = standard_normal::<E>(rng, &[batch, widths[0]])?;
    let mut h = input.clone();
    let (mut pre, mut act) = (Vec::new(), Vec::new());
    for w in &weights {
        let s = h.matmul_t(Transpose::No, w, Transpose::Yes)?;
        h = activation.forward(&s);
        pre.push(s);
        act.push(h.clone());
    }
    let output_gradient = standard_normal::<E>(rng, h.shape())?;
    let mut grad_h = output_gradient.clone();
    let mut gradients = vec![Tensor::zeros(&[0]); weights.len()];
    for l in (0..weights.len()).rev() {
        let grad_s = grad_h.mul(&activation.derivative(&pre[l]))?;
        grad_h = grad_s.matmul(&weights[l])?;
        gradients[l] = grad_s;
    }
    Ok(ProbeTrace {
        input,
        output_gradient,
        weights,
        pre_activations: pre,
        activations: act,
        gradients,
    })
}

/// Per-layer statistics of a probe run: what the lab plots against depth.
///
/// `widths[0]` is the input width; there are `widths.len() − 1` layers.
///
/// # Errors
///
/// As [`trace`].
pub fn activation_stats<E: Element>(
    init: &Init,
    activation: Activation,
    widths: &[usize],
    batch: usize,
    rng: &mut impl Rng,
) -> Result<Vec<LayerStats>> {
    let t = trace::<E>(init, activation, widths, batch, rng)?;
    Ok((0..t.weights.len())
        .map(|l| LayerStats {
            layer: l + 1,
            pre_activation: Moments::of(&t.pre_activations[l]),
            activation: Moments::of(&t.activations[l]),
            gradient: Moments::of(&t.gradients[l]),
            unit_spread: unit_spread(&t.activations[l]),
        })
        .collect())
}

/// `max over rows of (max − min over the row)` for a `[batch, width]` tensor: 0 exactly when
/// every unit (column) holds the same value for every example.
pub fn unit_spread<E: Element>(t: &Tensor<E>) -> f64 {
    let width = t.shape()[1].max(1);
    t.as_slice()
        .chunks(width)
        .map(|row| {
            let (lo, hi) = row
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
                    (lo.min(x.as_f64()), hi.max(x.as_f64()))
                });
            hi - lo
        })
        .fold(0.0, f64::max)
}

/// A tensor of independent `N(0, 1)` draws.
fn standard_normal<E: Element>(rng: &mut impl Rng, shape: &[usize]) -> Result<Tensor<E>> {
    Init::Normal {
        mean: 0.0,
        std: 1.0,
    }
    .sample(rng, shape)
}
