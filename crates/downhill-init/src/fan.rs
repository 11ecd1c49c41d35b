//! Fan-in and fan-out of a weight tensor.
//!
//! # Weight layout convention
//!
//! downhill stores weights in PyTorch's layout, and checkpoints depend on it:
//!
//! ```text
//! Linear weight  [out, in]                    fan_in = in,        fan_out = out
//! Conv weight    [out, in/groups, k1, k2, …]  fan_in = in·k1·k2…, fan_out = out·k1·k2…
//! ```
//!
//! That is `fan_in = shape[1]·r` and `fan_out = shape[0]·r` with the receptive-field size
//! `r = shape[2]·shape[3]·…` (1 for a matrix), exactly as
//! `torch.nn.init._calculate_fan_in_and_fan_out`. Note that Keras/TensorFlow store dense
//! kernels `[in, out]`, so their fans are the other way round.

use serde::{Deserialize, Serialize};

use crate::error::{InitError, Result};

/// Which fan a variance-scaling scheme divides by (PyTorch's `mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FanMode {
    /// `fan_in`: preserves the variance of activations in the forward pass (the default).
    #[default]
    FanIn,
    /// `fan_out`: preserves the variance of gradients in the backward pass.
    FanOut,
}

impl FanMode {
    /// The snake_case name (`"fan_in"`, `"fan_out"`), as PyTorch spells the mode.
    pub fn name(self) -> &'static str {
        match self {
            FanMode::FanIn => "fan_in",
            FanMode::FanOut => "fan_out",
        }
    }
}

impl std::fmt::Display for FanMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for FanMode {
    type Err = InitError;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "fan_in" => Ok(FanMode::FanIn),
            "fan_out" => Ok(FanMode::FanOut),
            _ => Err(InitError::UnknownName {
                kind: "fan mode",
                name: s.to_string(),
                valid: "fan_in, fan_out".to_string(),
            }),
        }
    }
}

/// The fan-in and fan-out of a weight shape, as computed by [`fans`] (PyTorch's `[out, in, k…]` layout).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fans {
    /// Number of inputs feeding one output unit: `shape[1]·receptive_field`.
    pub fan_in: usize,
    /// Number of outputs one input feeds: `shape[0]·receptive_field`.
    pub fan_out: usize,
}

impl Fans {
    /// The fan selected by `mode`.
    pub fn get(self, mode: FanMode) -> usize {
        match mode {
            FanMode::FanIn => self.fan_in,
            FanMode::FanOut => self.fan_out,
        }
    }
}

/// Computes the fans of a weight `shape`, as `torch.nn.init._calculate_fan_in_and_fan_out`.
///
/// ```text
/// r       = shape[2]·shape[3]·…   (1 for a 2-D shape)
/// fan_in  = shape[1]·r
/// fan_out = shape[0]·r
/// ```
///
/// ```
/// use downhill_init::{fans, Fans};
/// assert_eq!(fans(&[10, 3]).unwrap(), Fans { fan_in: 3, fan_out: 10 });      // Linear(3, 10)
/// assert_eq!(fans(&[16, 8, 3, 3]).unwrap(), Fans { fan_in: 72, fan_out: 144 }); // Conv2d(8, 16, 3)
/// assert!(fans(&[5]).is_err());
/// ```
///
/// # Errors
///
/// [`InitError::TooFewDims`] for shapes with fewer than two dimensions (a bias has no fan-in of
/// its own: use [`Init::bias_init_for`](crate::Init::bias_init_for) with the weight's shape).
pub fn fans(shape: &[usize]) -> Result<Fans> {
    fans_for("fans", shape)
}

/// [`fans`] with the scheme named in the error.
pub(crate) fn fans_for(scheme: &'static str, shape: &[usize]) -> Result<Fans> {
    if shape.len() < 2 {
        return Err(InitError::TooFewDims {
            scheme,
            shape: shape.to_vec(),
        });
    }
    let receptive: usize = shape[2..].iter().product();
    Ok(Fans {
        fan_in: shape[1] * receptive,
        fan_out: shape[0] * receptive,
    })
}
