//! [`Hyper`] and [`by_name`]: build an optimizer from a name and optional hyperparameters.

use downhill_tensor::Element;
use serde::{Deserialize, Serialize};

use crate::{
    Adadelta, Adagrad, Adam, AdamW, Adamax, GroupOverrides, Lamb, Lion, NAdam, OptimError,
    Optimizer, RAdam, RmsProp, Sgd,
};

/// The optimizer names [`by_name`] accepts.
pub const OPTIMIZER_NAMES: [&str; 11] = [
    "sgd", "adagrad", "adadelta", "rmsprop", "adam", "adamw", "nadam", "radam", "adamax", "lion",
    "lamb",
];

/// Optional hyperparameters by their PyTorch names; unset fields take PyTorch's defaults.
///
/// A field the chosen optimizer does not have is an error, not silently ignored.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Hyper {
    pub lr: Option<f64>,
    pub momentum: Option<f64>,
    pub dampening: Option<f64>,
    pub nesterov: Option<bool>,
    pub weight_decay: Option<f64>,
    pub betas: Option<(f64, f64)>,
    pub eps: Option<f64>,
    pub amsgrad: Option<bool>,
    pub alpha: Option<f64>,
    pub centered: Option<bool>,
    pub rho: Option<f64>,
    pub lr_decay: Option<f64>,
    pub initial_accumulator_value: Option<f64>,
    pub momentum_decay: Option<f64>,
    pub decoupled_weight_decay: Option<bool>,
    pub maximize: Option<bool>,
    /// Parameter groups 1, 2, … (group 0 takes the values above).
    pub groups: Vec<GroupOverrides>,
}

impl Hyper {
    fn set_fields(&self) -> Vec<&'static str> {
        let h = self;
        let flags = [
            ("momentum", h.momentum.is_some()),
            ("dampening", h.dampening.is_some()),
            ("nesterov", h.nesterov.is_some()),
            ("betas", h.betas.is_some()),
            ("eps", h.eps.is_some()),
            ("amsgrad", h.amsgrad.is_some()),
            ("alpha", h.alpha.is_some()),
            ("centered", h.centered.is_some()),
            ("rho", h.rho.is_some()),
            ("lr_decay", h.lr_decay.is_some()),
            (
                "initial_accumulator_value",
                h.initial_accumulator_value.is_some(),
            ),
            ("momentum_decay", h.momentum_decay.is_some()),
            ("decoupled_weight_decay", h.decoupled_weight_decay.is_some()),
        ];
        flags.iter().filter(|f| f.1).map(|f| f.0).collect()
    }

    fn only(&self, optimizer: &'static str, allowed: &[&str]) -> Result<(), OptimError> {
        match self.set_fields().into_iter().find(|f| !allowed.contains(f)) {
            Some(name) => Err(OptimError::NotApplicable { optimizer, name }),
            None => Ok(()),
        }
    }
}

/// Builds a named optimizer (one of [`OPTIMIZER_NAMES`]) from optional hyperparameters.
///
/// ```
/// use downhill_optim::{by_name, Hyper};
/// let opt = by_name::<f32>("adamw", &Hyper { lr: Some(3e-4), ..Hyper::default() }).unwrap();
/// assert_eq!(opt.lr(0), 3e-4);
/// let err = by_name::<f32>("adamm", &Hyper::default()).err().unwrap();
/// assert!(err.to_string().contains("adamw"));
/// ```
///
/// # Errors
/// An unknown name (the message lists the valid ones), a hyperparameter the optimizer does not
/// have, or an invalid value.
pub fn by_name<E: Element>(name: &str, hyper: &Hyper) -> Result<Box<dyn Optimizer<E>>, OptimError> {
    let h = hyper;
    let groups = h.groups.clone();
    let maximize = h.maximize.unwrap_or(false);
    let boxed: Box<dyn Optimizer<E>> = match name {
        "sgd" => {
            h.only("sgd", &["momentum", "dampening", "nesterov"])?;
            let d = Sgd::default();
            Box::new(
                Sgd {
                    lr: h.lr.unwrap_or(d.lr),
                    momentum: h.momentum.unwrap_or(d.momentum),
                    dampening: h.dampening.unwrap_or(d.dampening),
                    nesterov: h.nesterov.unwrap_or(d.nesterov),
                    weight_decay: h.weight_decay.unwrap_or(d.weight_decay),
                    maximize,
                    groups,
                }
                .build()?,
            )
        }
        "adagrad" => {
            h.only("adagrad", &["lr_decay", "initial_accumulator_value", "eps"])?;
            let d = Adagrad::default();
            Box::new(
                Adagrad {
                    lr: h.lr.unwrap_or(d.lr),
                    lr_decay: h.lr_decay.unwrap_or(d.lr_decay),
                    weight_decay: h.weight_decay.unwrap_or(d.weight_decay),
                    initial_accumulator_value: h
                        .initial_accumulator_value
                        .unwrap_or(d.initial_accumulator_value),
                    eps: h.eps.unwrap_or(d.eps),
                    maximize,
                    groups,
                }
                .build()?,
            )
        }
        "adadelta" => {
            h.only("adadelta", &["rho", "eps"])?;
            let d = Adadelta::default();
            Box::new(
                Adadelta {
                    lr: h.lr.unwrap_or(d.lr),
                    rho: h.rho.unwrap_or(d.rho),
                    eps: h.eps.unwrap_or(d.eps),
                    weight_decay: h.weight_decay.unwrap_or(d.weight_decay),
                    maximize,
                    groups,
                }
                .build()?,
            )
        }
        "rmsprop" => {
            h.only("rmsprop", &["alpha", "eps", "momentum", "centered"])?;
            let d = RmsProp::default();
            Box::new(
                RmsProp {
                    lr: h.lr.unwrap_or(d.lr),
                    alpha: h.alpha.unwrap_or(d.alpha),
                    eps: h.eps.unwrap_or(d.eps),
                    weight_decay: h.weight_decay.unwrap_or(d.weight_decay),
                    momentum: h.momentum.unwrap_or(d.momentum),
                    centered: h.centered.unwrap_or(d.centered),
                    maximize,
                    groups,
                }
                .build()?,
            )
        }
        _ => return adam_family(name, h),
    };
    Ok(boxed)
}

fn adam_family<E: Element>(name: &str, h: &Hyper) -> Result<Box<dyn Optimizer<E>>, OptimError> {
    let groups = h.groups.clone();
    let maximize = h.maximize.unwrap_or(false);
    let boxed: Box<dyn Optimizer<E>> = match name {
        "adam" => {
            h.only(
                "adam",
                &["betas", "eps", "amsgrad", "decoupled_weight_decay"],
            )?;
            let d = Adam::default();
            Box::new(
                Adam {
                    lr: h.lr.unwrap_or(d.lr),
                    betas: h.betas.unwrap_or(d.betas),
                    eps: h.eps.unwrap_or(d.eps),
                    weight_decay: h.weight_decay.unwrap_or(d.weight_decay),
                    amsgrad: h.amsgrad.unwrap_or(d.amsgrad),
                    decoupled_weight_decay: h
                        .decoupled_weight_decay
                        .unwrap_or(d.decoupled_weight_decay),
                    maximize,
                    groups,
                }
                .build()?,
            )
        }
        "adamw" => {
            h.only("adamw", &["betas", "eps", "amsgrad"])?;
            let d = AdamW::default();
            Box::new(
                AdamW {
                    lr: h.lr.unwrap_or(d.lr),
                    betas: h.betas.unwrap_or(d.betas),
                    eps: h.eps.unwrap_or(d.eps),
                    weight_decay: h.weight_decay.unwrap_or(d.weight_decay),
                    amsgrad: h.amsgrad.unwrap_or(d.amsgrad),
                    maximize,
                    groups,
                }
                .build()?,
            )
        }
        "nadam" | "radam" => return nadam_radam(name, h),
        "adamax" => {
            h.only("adamax", &["betas", "eps"])?;
            let d = Adamax::default();
            let (lr, betas, eps) = (
                h.lr.unwrap_or(d.lr),
                h.betas.unwrap_or(d.betas),
                h.eps.unwrap_or(d.eps),
            );
            let weight_decay = h.weight_decay.unwrap_or(d.weight_decay);
            Box::new(
                Adamax {
                    lr,
                    betas,
                    eps,
                    weight_decay,
                    maximize,
                    groups,
                }
                .build()?,
            )
        }
        "lion" => {
            h.only("lion", &["betas"])?;
            let d = Lion::default();
            let (lr, betas, weight_decay) = (
                h.lr.unwrap_or(d.lr),
                h.betas.unwrap_or(d.betas),
                h.weight_decay.unwrap_or(d.weight_decay),
            );
            Box::new(
                Lion {
                    lr,
                    betas,
                    weight_decay,
                    maximize,
                    groups,
                }
                .build()?,
            )
        }
        "lamb" => {
            h.only("lamb", &["betas", "eps"])?;
            let d = Lamb::default();
            let (lr, betas, eps) = (
                h.lr.unwrap_or(d.lr),
                h.betas.unwrap_or(d.betas),
                h.eps.unwrap_or(d.eps),
            );
            let weight_decay = h.weight_decay.unwrap_or(d.weight_decay);
            Box::new(
                Lamb {
                    lr,
                    betas,
                    eps,
                    weight_decay,
                    maximize,
                    groups,
                }
                .build()?,
            )
        }
        _ => {
            let valid = OPTIMIZER_NAMES.join(", ");
            return Err(OptimError::UnknownName {
                kind: "optimizer",
                name: name.to_string(),
                valid,
            });
        }
    };
    Ok(boxed)
}

fn nadam_radam<E: Element>(name: &str, h: &Hyper) -> Result<Box<dyn Optimizer<E>>, OptimError> {
    let (groups, maximize) = (h.groups.clone(), h.maximize.unwrap_or(false));
    if name == "nadam" {
        h.only(
            "nadam",
            &["betas", "eps", "momentum_decay", "decoupled_weight_decay"],
        )?;
        let d = NAdam::default();
        return Ok(Box::new(
            NAdam {
                lr: h.lr.unwrap_or(d.lr),
                betas: h.betas.unwrap_or(d.betas),
                eps: h.eps.unwrap_or(d.eps),
                weight_decay: h.weight_decay.unwrap_or(d.weight_decay),
                momentum_decay: h.momentum_decay.unwrap_or(d.momentum_decay),
                decoupled_weight_decay: h
                    .decoupled_weight_decay
                    .unwrap_or(d.decoupled_weight_decay),
                maximize,
                groups,
            }
            .build()?,
        ));
    }
    h.only("radam", &["betas", "eps", "decoupled_weight_decay"])?;
    let d = RAdam::default();
    Ok(Box::new(
        RAdam {
            lr: h.lr.unwrap_or(d.lr),
            betas: h.betas.unwrap_or(d.betas),
            eps: h.eps.unwrap_or(d.eps),
            weight_decay: h.weight_decay.unwrap_or(d.weight_decay),
            decoupled_weight_decay: h.decoupled_weight_decay.unwrap_or(d.decoupled_weight_decay),
            maximize,
            groups,
        }
        .build()?,
    ))
}
