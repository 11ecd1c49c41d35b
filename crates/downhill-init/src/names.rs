//! The string form of [`Init`]: names, parameters, `Display`, `FromStr` and serde.
//!
//! ```text
//! init   := name | name "(" param ("," param)* ")"
//! param  := key "=" value          value: a number, a fan mode or a nonlinearity name
//! ```
//!
//! `Display` prints only the parameters that differ from their defaults, so
//! `Init::HeNormal { mode: FanMode::FanIn, nonlinearity: Nonlinearity::Relu }` is `"he_normal"`,
//! and `parse(display(init)) == init` for every finite init.

use crate::error::{InitError, Result};
use crate::fan::FanMode;
use crate::gain::Nonlinearity;
use crate::init::Init;

/// Every scheme name [`Init`] parses, in documentation order.
///
/// The aliases `glorot_uniform`, `glorot_normal`, `kaiming_uniform`, `kaiming_normal` and
/// `trunc_normal` are accepted too.
pub const INIT_NAMES: [&str; 16] = [
    "zeros",
    "ones",
    "constant",
    "eye",
    "uniform",
    "normal",
    "truncated_normal",
    "small_normal",
    "lecun_uniform",
    "lecun_normal",
    "xavier_uniform",
    "xavier_normal",
    "he_uniform",
    "he_normal",
    "orthogonal",
    "pytorch_default",
];

impl Init {
    /// The snake_case name of the scheme (`"he_normal"`, …), without parameters.
    pub fn name(&self) -> &'static str {
        match self {
            Init::Zeros => "zeros",
            Init::Ones => "ones",
            Init::Constant { .. } => "constant",
            Init::Eye => "eye",
            Init::Uniform { .. } => "uniform",
            Init::Normal { .. } => "normal",
            Init::TruncatedNormal { .. } => "truncated_normal",
            Init::SmallNormal => "small_normal",
            Init::LecunUniform => "lecun_uniform",
            Init::LecunNormal => "lecun_normal",
            Init::XavierUniform { .. } => "xavier_uniform",
            Init::XavierNormal { .. } => "xavier_normal",
            Init::HeUniform { .. } => "he_uniform",
            Init::HeNormal { .. } => "he_normal",
            Init::Orthogonal { .. } => "orthogonal",
            Init::PytorchDefault => "pytorch_default",
        }
    }

    /// The scheme called `name` (or an alias), with its default parameters (PyTorch's).
    ///
    /// # Errors
    ///
    /// [`InitError::UnknownName`], listing [`INIT_NAMES`].
    pub fn from_name(name: &str) -> Result<Init> {
        let he = (FanMode::FanIn, Nonlinearity::Relu);
        Ok(match name {
            "zeros" => Init::Zeros,
            "ones" => Init::Ones,
            "constant" => Init::Constant { value: 0.0 },
            "eye" => Init::Eye,
            "uniform" => Init::Uniform { a: 0.0, b: 1.0 },
            "normal" => Init::Normal {
                mean: 0.0,
                std: 1.0,
            },
            "truncated_normal" | "trunc_normal" => Init::TruncatedNormal {
                mean: 0.0,
                std: 1.0,
                a: -2.0,
                b: 2.0,
            },
            "small_normal" => Init::SmallNormal,
            "lecun_uniform" => Init::LecunUniform,
            "lecun_normal" => Init::LecunNormal,
            "xavier_uniform" | "glorot_uniform" => Init::XavierUniform { gain: 1.0 },
            "xavier_normal" | "glorot_normal" => Init::XavierNormal { gain: 1.0 },
            "he_uniform" | "kaiming_uniform" => Init::HeUniform {
                mode: he.0,
                nonlinearity: he.1,
            },
            "he_normal" | "kaiming_normal" => Init::HeNormal {
                mode: he.0,
                nonlinearity: he.1,
            },
            "orthogonal" => Init::Orthogonal { gain: 1.0 },
            "pytorch_default" => Init::PytorchDefault,
            _ => {
                return Err(InitError::UnknownName {
                    kind: "init scheme",
                    name: name.to_string(),
                    valid: INIT_NAMES.join(", "),
                });
            }
        })
    }

    /// The parameters as `(key, value)` strings, in the order they print.
    fn params(&self) -> Vec<(&'static str, String)> {
        let f = |k, v: f64| (k, v.to_string());
        match *self {
            Init::Constant { value } => vec![f("value", value)],
            Init::Uniform { a, b } => vec![f("a", a), f("b", b)],
            Init::Normal { mean, std } => vec![f("mean", mean), f("std", std)],
            Init::TruncatedNormal { mean, std, a, b } => {
                vec![f("mean", mean), f("std", std), f("a", a), f("b", b)]
            }
            Init::XavierUniform { gain }
            | Init::XavierNormal { gain }
            | Init::Orthogonal { gain } => {
                vec![f("gain", gain)]
            }
            Init::HeUniform { mode, nonlinearity } | Init::HeNormal { mode, nonlinearity } => {
                let mut p = vec![
                    ("mode", mode.to_string()),
                    ("nonlinearity", nonlinearity.to_string()),
                ];
                if let Nonlinearity::LeakyRelu(slope) = nonlinearity {
                    p.push(f("a", slope));
                }
                p
            }
            _ => vec![],
        }
    }
}

impl std::fmt::Display for Init {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let defaults = Init::from_name(self.name())
            .map(|d| d.params())
            .unwrap_or_default();
        let changed: Vec<String> = self
            .params()
            .into_iter()
            .filter(|p| !defaults.contains(p))
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if changed.is_empty() {
            f.write_str(self.name())
        } else {
            write!(f, "{}({})", self.name(), changed.join(", "))
        }
    }
}

impl std::str::FromStr for Init {
    type Err = InitError;

    /// Parses `"name"` or `"name(key=value, …)"`, as described on [`Init`].
    fn from_str(input: &str) -> Result<Init> {
        let input = input.trim();
        let (name, args) = match input.split_once('(') {
            None => (input, ""),
            Some((name, rest)) => {
                let args = rest
                    .strip_suffix(')')
                    .ok_or_else(|| parse_error(input, "missing ')'"))?;
                (name.trim(), args)
            }
        };
        let mut init = Init::from_name(name)?;
        let mut pairs = Vec::new();
        for arg in args.split(',').map(str::trim).filter(|a| !a.is_empty()) {
            let (k, v) = arg
                .split_once('=')
                .ok_or_else(|| parse_error(input, &format!("expected key=value, got {arg:?}")))?;
            pairs.push((k.trim(), v.trim()));
        }
        init.apply(&pairs).map_err(|e| match e {
            InitError::UnknownName { .. } => e,
            other => parse_error(input, &other.to_string()),
        })?;
        Ok(init)
    }
}

impl Init {
    /// Overrides the default parameters with `pairs`.
    fn apply(&mut self, pairs: &[(&str, &str)]) -> Result<()> {
        let allowed: Vec<&str> = match self {
            Init::HeUniform { .. } | Init::HeNormal { .. } => vec!["mode", "nonlinearity", "a"],
            _ => self.params().iter().map(|p| p.0).collect(),
        };
        for (k, _) in pairs {
            if !allowed.contains(k) {
                return Err(parse_error(
                    self.name(),
                    &format!("unknown parameter {k:?}; valid: {}", allowed.join(", ")),
                ));
            }
        }
        let get = |key: &str| pairs.iter().rev().find(|p| p.0 == key).map(|p| p.1);
        let num = |key: &str, default: f64| -> Result<f64> {
            get(key).map_or(Ok(default), |v| {
                v.parse::<f64>()
                    .map_err(|_| parse_error(v, &format!("{key} must be a number")))
            })
        };
        match self {
            Init::Constant { value } => *value = num("value", *value)?,
            Init::Uniform { a, b } => (*a, *b) = (num("a", *a)?, num("b", *b)?),
            Init::Normal { mean, std } => (*mean, *std) = (num("mean", *mean)?, num("std", *std)?),
            Init::TruncatedNormal { mean, std, a, b } => {
                (*mean, *std, *a, *b) = (
                    num("mean", *mean)?,
                    num("std", *std)?,
                    num("a", *a)?,
                    num("b", *b)?,
                )
            }
            Init::XavierUniform { gain }
            | Init::XavierNormal { gain }
            | Init::Orthogonal { gain } => *gain = num("gain", *gain)?,
            Init::HeUniform { mode, nonlinearity } | Init::HeNormal { mode, nonlinearity } => {
                (*mode, *nonlinearity) =
                    he_params(get("mode"), get("nonlinearity"), get("a"), num("a", 0.0)?)?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// Kaiming's parameters as PyTorch reads them: `a` alone means leaky ReLU with slope `a`.
fn he_params(
    mode: Option<&str>,
    nonlin: Option<&str>,
    a: Option<&str>,
    slope: f64,
) -> Result<(FanMode, Nonlinearity)> {
    let mode = mode.map_or(Ok(FanMode::FanIn), str::parse)?;
    let nonlinearity = match (nonlin, a) {
        (None, None) => Nonlinearity::Relu,
        (None, Some(_)) => Nonlinearity::LeakyRelu(slope),
        (Some(name), _) => Nonlinearity::from_name(name, slope)?,
    };
    if a.is_some() && !matches!(nonlinearity, Nonlinearity::LeakyRelu(_)) {
        return Err(parse_error(
            "a",
            "the slope a applies only to nonlinearity=leaky_relu",
        ));
    }
    Ok((mode, nonlinearity))
}

fn parse_error(input: &str, reason: &str) -> InitError {
    InitError::Parse {
        input: input.to_string(),
        reason: reason.to_string(),
    }
}

impl From<Init> for String {
    fn from(init: Init) -> String {
        init.to_string()
    }
}

impl TryFrom<String> for Init {
    type Error = InitError;

    fn try_from(s: String) -> Result<Init> {
        s.parse()
    }
}
