//! Activation layers: the lecture's nonlinearities.

use downhill_autograd::{Tape, Var};
use downhill_tensor::Element;

use super::{Forward, Module};
use crate::Result;

/// A nonlinearity, selectable by name (`"relu"`, `"tanh"`, `"sigmoid"`, `"softplus"`,
/// `"leaky_relu"`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// `σ(x) = 1/(1+e^{−x})` (the slide's `1/(1+eˣ)` is a sign typo).
    Sigmoid,
    /// `tanh(x)`.
    Tanh,
    /// `max(0, x)`.
    Relu,
    /// `x` for `x > 0`, else `slope·x` (PyTorch's default slope 0.01).
    LeakyRelu {
        /// The negative slope.
        slope: f64,
    },
    /// `log(1+eˣ)`.
    Softplus,
}

impl Activation {
    /// The names [`Activation::from_name`] accepts.
    pub const NAMES: [&'static str; 5] = ["sigmoid", "tanh", "relu", "leaky_relu", "softplus"];

    /// Parses a name (`leaky_relu` gets PyTorch's slope 0.01).
    ///
    /// # Errors
    /// [`crate::Error::Config`] for an unknown name, listing the valid ones.
    pub fn from_name(name: &str) -> Result<Self> {
        Ok(match name {
            "sigmoid" => Activation::Sigmoid,
            "tanh" => Activation::Tanh,
            "relu" => Activation::Relu,
            "leaky_relu" => Activation::LeakyRelu { slope: 0.01 },
            "softplus" => Activation::Softplus,
            _ => {
                return Err(crate::Error::config(
                    "activation",
                    format!(
                        "unknown {name:?}; expected one of {}",
                        Self::NAMES.join(", ")
                    ),
                ));
            }
        })
    }

    /// The name, as [`Activation::from_name`] reads it.
    pub fn name(&self) -> &'static str {
        match self {
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::LeakyRelu { .. } => "leaky_relu",
            Activation::Softplus => "softplus",
        }
    }

    /// Records the activation on a tape.
    ///
    /// # Errors
    /// A wrong-tape or stale handle.
    pub fn apply<E: Element>(&self, tape: &mut Tape<E>, x: Var) -> Result<Var> {
        Ok(match *self {
            Activation::Sigmoid => tape.sigmoid(x)?,
            Activation::Tanh => tape.tanh(x)?,
            Activation::Relu => tape.relu(x)?,
            Activation::LeakyRelu { slope } => tape.leaky_relu(x, E::of(slope))?,
            Activation::Softplus => tape.softplus(x)?,
        })
    }
}

/// A layer applying an [`Activation`] (PyTorch's `nn.ReLU`, `nn.Tanh`, …: no parameters).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ActivationLayer(pub Activation);

impl<E: Element> Module<E> for ActivationLayer {
    fn describe(&self) -> String {
        self.0.name().to_string()
    }

    fn forward(&mut self, tape: &mut Tape<E>, x: Var, _fwd: &mut Forward<'_>) -> Result<Var> {
        self.0.apply(tape, x)
    }
}
