//! The recommended gain per nonlinearity (PyTorch's `calculate_gain`).

use serde::{Deserialize, Serialize};

use crate::error::{InitError, Result, finite};

/// A nonlinearity that follows a weight layer, for [`calculate_gain`] and the Kaiming schemes.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Nonlinearity {
    /// No nonlinearity (also PyTorch's `conv1d`…`conv_transpose3d` and `identity`): gain 1.
    Linear,
    /// Logistic sigmoid: gain 1.
    Sigmoid,
    /// tanh: gain 5/3.
    Tanh,
    /// ReLU: gain √2 (the default, as PyTorch's `kaiming_*` with `leaky_relu` and `a = 0`).
    #[default]
    Relu,
    /// Leaky ReLU with the given negative slope: gain `√(2/(1+slope²))`.
    LeakyRelu(f64),
    /// SELU: gain 3/4 (PyTorch's choice for self-normalizing networks).
    Selu,
}

/// The names [`Nonlinearity::from_str`](std::str::FromStr) accepts.
pub const NONLINEARITY_NAMES: [&str; 6] =
    ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "selu"];

impl Nonlinearity {
    /// The snake_case name, as PyTorch's `calculate_gain` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Nonlinearity::Linear => "linear",
            Nonlinearity::Sigmoid => "sigmoid",
            Nonlinearity::Tanh => "tanh",
            Nonlinearity::Relu => "relu",
            Nonlinearity::LeakyRelu(_) => "leaky_relu",
            Nonlinearity::Selu => "selu",
        }
    }

    /// Looks a nonlinearity up by name; `leaky_relu` takes `slope`.
    ///
    /// # Errors
    ///
    /// [`InitError::UnknownName`] listing the valid names.
    pub fn from_name(name: &str, slope: f64) -> Result<Self> {
        Ok(match name {
            "linear" | "identity" => Nonlinearity::Linear,
            "sigmoid" => Nonlinearity::Sigmoid,
            "tanh" => Nonlinearity::Tanh,
            "relu" => Nonlinearity::Relu,
            "leaky_relu" => Nonlinearity::LeakyRelu(slope),
            "selu" => Nonlinearity::Selu,
            _ => {
                return Err(InitError::UnknownName {
                    kind: "nonlinearity",
                    name: name.to_string(),
                    valid: NONLINEARITY_NAMES.join(", "),
                });
            }
        })
    }
}

impl std::fmt::Display for Nonlinearity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Parses a name; `"leaky_relu"` gets PyTorch's `calculate_gain` default slope 0.01.
impl std::str::FromStr for Nonlinearity {
    type Err = InitError;

    fn from_str(s: &str) -> Result<Self> {
        Nonlinearity::from_name(s, 0.01)
    }
}

/// The recommended gain for a nonlinearity, exactly as `torch.nn.init.calculate_gain`.
///
/// ```text
/// linear, sigmoid   1
/// tanh              5/3
/// relu              √2
/// leaky_relu(α)     √(2 / (1 + α²))
/// selu              3/4
/// ```
///
/// The gain compensates the variance a nonlinearity removes: with the lecture's
/// `Var(s) = n·Var(w)·Var(x)`, ReLU zeroes half its inputs, so `Var(w) = 2/n` keeps
/// `Var(s)` constant (He et al. 2015, "Delving Deep into Rectifiers").
///
/// ```
/// use downhill_init::{calculate_gain, Nonlinearity};
/// assert_eq!(calculate_gain(Nonlinearity::Relu).unwrap(), 2f64.sqrt());
/// assert_eq!(calculate_gain(Nonlinearity::Tanh).unwrap(), 5.0 / 3.0);
/// ```
///
/// # Errors
///
/// [`InitError::NotFinite`] for a NaN or infinite leaky-ReLU slope.
pub fn calculate_gain(nonlinearity: Nonlinearity) -> Result<f64> {
    Ok(match nonlinearity {
        Nonlinearity::Linear | Nonlinearity::Sigmoid => 1.0,
        Nonlinearity::Tanh => 5.0 / 3.0,
        Nonlinearity::Relu => 2f64.sqrt(),
        Nonlinearity::LeakyRelu(slope) => {
            let slope = finite("calculate_gain", "negative_slope", slope)?;
            (2.0 / (1.0 + slope.powi(2))).sqrt()
        }
        Nonlinearity::Selu => 3.0 / 4.0,
    })
}
