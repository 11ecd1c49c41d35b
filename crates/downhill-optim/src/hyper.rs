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
pub struct Hyper {
    /// Learning rate.
    pub lr: Option<f64>,
    /// Momentum factor (SGD, RMSprop).
    pub momentum: Option<f64>,
    /// Momentum dampening (SGD).
    pub dampening: Option<f64>,
    /// Nesterov momentum (SGD).
    pub nesterov: Option<bool>,
    /// Weight decay (L2, or decoupled where the optimizer says so).
    pub weight_decay: Option<f64>,
    /// (β₁, β₂) of the Adam family, Lion and LAMB.
    pub betas: Option<(f64, f64)>,
    /// ε of the denominator (must be ≥ 0; 0 is allowed as in PyTorch).
    pub eps: Option<f64>,
    /// AMSGrad variant (Adam, AdamW).
    pub amsgrad: Option<bool>,
    /// Smoothing constant (RMSprop).
    pub alpha: Option<f64>,
    /// Centered RMSprop.
    pub centered: Option<bool>,
    /// Running-average decay (Adadelta).
    pub rho: Option<f64>,
    /// Learning-rate decay (Adagrad).
    pub lr_decay: Option<f64>,
    /// Initial accumulator (Adagrad).
    pub initial_accumulator_value: Option<f64>,
    /// Momentum decay ψ (NAdam).
    pub momentum_decay: Option<f64>,
    /// Decoupled weight decay (Adam, NAdam, RAdam).
    pub decoupled_weight_decay: Option<bool>,
    /// Maximize instead of minimize.
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
    match name {
        "sgd" => sgd(hyper),
        "adagrad" => adagrad(hyper),
        "adadelta" => adadelta(hyper),
        "rmsprop" => rmsprop(hyper),
        "adam" => adam(hyper),
        "adamw" => adamw(hyper),
        "nadam" => nadam(hyper),
        "radam" => radam(hyper),
        "adamax" => adamax(hyper),
        "lion" => lion(hyper),
        "lamb" => lamb(hyper),
        _ => Err(OptimError::UnknownName {
            kind: "optimizer",
            name: name.to_string(),
            valid: OPTIMIZER_NAMES.join(", "),
        }),
    }
}

type Built<E> = Result<Box<dyn Optimizer<E>>, OptimError>;

fn sgd<E: Element>(h: &Hyper) -> Built<E> {
    h.only("sgd", &["momentum", "dampening", "nesterov"])?;
    let d = Sgd::default();
    let cfg = Sgd {
        lr: h.lr.unwrap_or(d.lr),
        momentum: h.momentum.unwrap_or(d.momentum),
        dampening: h.dampening.unwrap_or(d.dampening),
        nesterov: h.nesterov.unwrap_or(d.nesterov),
        weight_decay: h.weight_decay.unwrap_or(d.weight_decay),
        maximize: h.maximize.unwrap_or(d.maximize),
        groups: h.groups.clone(),
    };
    Ok(Box::new(cfg.build()?))
}

fn adagrad<E: Element>(h: &Hyper) -> Built<E> {
    h.only("adagrad", &["lr_decay", "initial_accumulator_value", "eps"])?;
    let d = Adagrad::default();
    let cfg = Adagrad {
        lr: h.lr.unwrap_or(d.lr),
        lr_decay: h.lr_decay.unwrap_or(d.lr_decay),
        weight_decay: h.weight_decay.unwrap_or(d.weight_decay),
        initial_accumulator_value: h
            .initial_accumulator_value
            .unwrap_or(d.initial_accumulator_value),
        eps: h.eps.unwrap_or(d.eps),
        maximize: h.maximize.unwrap_or(d.maximize),
        groups: h.groups.clone(),
    };
    Ok(Box::new(cfg.build()?))
}

fn adadelta<E: Element>(h: &Hyper) -> Built<E> {
    h.only("adadelta", &["rho", "eps"])?;
    let d = Adadelta::default();
    let cfg = Adadelta {
        lr: h.lr.unwrap_or(d.lr),
        rho: h.rho.unwrap_or(d.rho),
        eps: h.eps.unwrap_or(d.eps),
        weight_decay: h.weight_decay.unwrap_or(d.weight_decay),
        maximize: h.maximize.unwrap_or(d.maximize),
        groups: h.groups.clone(),
    };
    Ok(Box::new(cfg.build()?))
}

fn rmsprop<E: Element>(h: &Hyper) -> Built<E> {
    h.only("rmsprop", &["alpha", "eps", "momentum", "centered"])?;
    let d = RmsProp::default();
    let cfg = RmsProp {
        lr: h.lr.unwrap_or(d.lr),
        alpha: h.alpha.unwrap_or(d.alpha),
        eps: h.eps.unwrap_or(d.eps),
        weight_decay: h.weight_decay.unwrap_or(d.weight_decay),
        momentum: h.momentum.unwrap_or(d.momentum),
        centered: h.centered.unwrap_or(d.centered),
        maximize: h.maximize.unwrap_or(d.maximize),
        groups: h.groups.clone(),
    };
    Ok(Box::new(cfg.build()?))
}

fn adam<E: Element>(h: &Hyper) -> Built<E> {
    h.only(
        "adam",
        &["betas", "eps", "amsgrad", "decoupled_weight_decay"],
    )?;
    let d = Adam::default();
    let cfg = Adam {
        lr: h.lr.unwrap_or(d.lr),
        betas: h.betas.unwrap_or(d.betas),
        eps: h.eps.unwrap_or(d.eps),
        weight_decay: h.weight_decay.unwrap_or(d.weight_decay),
        amsgrad: h.amsgrad.unwrap_or(d.amsgrad),
        decoupled_weight_decay: h.decoupled_weight_decay.unwrap_or(d.decoupled_weight_decay),
        maximize: h.maximize.unwrap_or(d.maximize),
        groups: h.groups.clone(),
    };
    Ok(Box::new(cfg.build()?))
}

fn adamw<E: Element>(h: &Hyper) -> Built<E> {
    h.only("adamw", &["betas", "eps", "amsgrad"])?;
    let d = AdamW::default();
    let cfg = AdamW {
        lr: h.lr.unwrap_or(d.lr),
        betas: h.betas.unwrap_or(d.betas),
        eps: h.eps.unwrap_or(d.eps),
        weight_decay: h.weight_decay.unwrap_or(d.weight_decay),
        amsgrad: h.amsgrad.unwrap_or(d.amsgrad),
        maximize: h.maximize.unwrap_or(d.maximize),
        groups: h.groups.clone(),
    };
    Ok(Box::new(cfg.build()?))
}

fn nadam<E: Element>(h: &Hyper) -> Built<E> {
    h.only(
        "nadam",
        &["betas", "eps", "momentum_decay", "decoupled_weight_decay"],
    )?;
    let d = NAdam::default();
    let cfg = NAdam {
        lr: h.lr.unwrap_or(d.lr),
        betas: h.betas.unwrap_or(d.betas),
        eps: h.eps.unwrap_or(d.eps),
        weight_decay: h.weight_decay.unwrap_or(d.weight_decay),
        momentum_decay: h.momentum_decay.unwrap_or(d.momentum_decay),
        decoupled_weight_decay: h.decoupled_weight_decay.unwrap_or(d.decoupled_weight_decay),
        maximize: h.maximize.unwrap_or(d.maximize),
        groups: h.groups.clone(),
    };
    Ok(Box::new(cfg.build()?))
}

fn radam<E: Element>(h: &Hyper) -> Built<E> {
    h.only("radam", &["betas", "eps", "decoupled_weight_decay"])?;
    let d = RAdam::default();
    let cfg = RAdam {
        lr: h.lr.unwrap_or(d.lr),
        betas: h.betas.unwrap_or(d.betas),
        eps: h.eps.unwrap_or(d.eps),
        weight_decay: h.weight_decay.unwrap_or(d.weight_decay),
        decoupled_weight_decay: h.decoupled_weight_decay.unwrap_or(d.decoupled_weight_decay),
        maximize: h.maximize.unwrap_or(d.maximize),
        groups: h.groups.clone(),
    };
    Ok(Box::new(cfg.build()?))
}

fn adamax<E: Element>(h: &Hyper) -> Built<E> {
    h.only("adamax", &["betas", "eps"])?;
    let d = Adamax::default();
    let cfg = Adamax {
        lr: h.lr.unwrap_or(d.lr),
        betas: h.betas.unwrap_or(d.betas),
        eps: h.eps.unwrap_or(d.eps),
        weight_decay: h.weight_decay.unwrap_or(d.weight_decay),
        maximize: h.maximize.unwrap_or(d.maximize),
        groups: h.groups.clone(),
    };
    Ok(Box::new(cfg.build()?))
}

fn lion<E: Element>(h: &Hyper) -> Built<E> {
    h.only("lion", &["betas"])?;
    let d = Lion::default();
    let cfg = Lion {
        lr: h.lr.unwrap_or(d.lr),
        betas: h.betas.unwrap_or(d.betas),
        weight_decay: h.weight_decay.unwrap_or(d.weight_decay),
        maximize: h.maximize.unwrap_or(d.maximize),
        groups: h.groups.clone(),
    };
    Ok(Box::new(cfg.build()?))
}

fn lamb<E: Element>(h: &Hyper) -> Built<E> {
    h.only("lamb", &["betas", "eps"])?;
    let d = Lamb::default();
    let cfg = Lamb {
        lr: h.lr.unwrap_or(d.lr),
        betas: h.betas.unwrap_or(d.betas),
        eps: h.eps.unwrap_or(d.eps),
        weight_decay: h.weight_decay.unwrap_or(d.weight_decay),
        maximize: h.maximize.unwrap_or(d.maximize),
        groups: h.groups.clone(),
    };
    Ok(Box::new(cfg.build()?))
}
