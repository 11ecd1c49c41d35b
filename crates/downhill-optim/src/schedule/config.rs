//! [`ScheduleConfig`]: choosing and configuring a schedule by name (for the CLI and configs).

use downhill_tensor::Element;
use serde::{Deserialize, Serialize};

use crate::schedule::one_cycle::OneCycleOptions;
use crate::{
    CosineAnnealingLr, CosineAnnealingWarmRestarts, ExponentialLr, LinearLr, MultiStepLr,
    OneCycleLr, OptimError, Optimizer, PlateauMode, ReduceLrOnPlateau, Scheduler, SequentialLr,
    StepLr, ThresholdMode,
};

/// The schedule names [`ScheduleConfig`] accepts in its `"name"` tag.
pub const SCHEDULE_NAMES: [&str; 9] = [
    "steplr",
    "multisteplr",
    "exponentiallr",
    "cosineannealinglr",
    "cosineannealingwarmrestarts",
    "linearlr",
    "onecyclelr",
    "reducelronplateau",
    "sequentiallr",
];

fn default_gamma() -> f64 {
    0.1
}
fn one() -> f64 {
    1.0
}
fn one_u() -> u64 {
    1
}
fn third() -> f64 {
    1.0 / 3.0
}
fn five() -> u64 {
    5
}

/// A schedule and its settings, serde-tagged by `"name"` (PyTorch's class name in lower case),
/// with PyTorch's defaults for omitted fields.
///
/// The fields are those of the schedule types, documented there.
///
/// ```
/// use downhill_optim::{ScheduleConfig, Sgd};
/// let cfg: ScheduleConfig = serde_json::from_str(r#"{"name": "cosineannealinglr", "t_max": 100}"#).unwrap();
/// let mut opt = Sgd::default().build::<f32>().unwrap();
/// let sched = cfg.build(&mut opt).unwrap();
/// assert_eq!(sched.name(), "cosineannealinglr");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum ScheduleConfig {
    /// [`StepLr`].
    #[serde(rename = "steplr")]
    StepLr {
        step_size: u64,
        #[serde(default = "default_gamma")]
        gamma: f64,
    },
    /// [`MultiStepLr`].
    #[serde(rename = "multisteplr")]
    MultiStepLr {
        milestones: Vec<u64>,
        #[serde(default = "default_gamma")]
        gamma: f64,
    },
    /// [`ExponentialLr`].
    #[serde(rename = "exponentiallr")]
    ExponentialLr { gamma: f64 },
    /// [`CosineAnnealingLr`].
    #[serde(rename = "cosineannealinglr")]
    CosineAnnealingLr {
        t_max: u64,
        #[serde(default)]
        eta_min: f64,
    },
    /// [`CosineAnnealingWarmRestarts`].
    #[serde(rename = "cosineannealingwarmrestarts")]
    CosineAnnealingWarmRestarts {
        t_0: u64,
        #[serde(default = "one_u")]
        t_mult: u64,
        #[serde(default)]
        eta_min: f64,
    },
    /// [`LinearLr`].
    #[serde(rename = "linearlr")]
    LinearLr {
        #[serde(default = "third")]
        start_factor: f64,
        #[serde(default = "one")]
        end_factor: f64,
        #[serde(default = "five")]
        total_iters: u64,
    },
    /// [`OneCycleLr`].
    #[serde(rename = "onecyclelr")]
    OneCycleLr {
        max_lr: Vec<f64>,
        total_steps: u64,
        #[serde(default, flatten)]
        options: OneCycleOptions,
    },
    /// [`ReduceLrOnPlateau`].
    #[serde(rename = "reducelronplateau")]
    ReduceLrOnPlateau {
        #[serde(default)]
        mode: PlateauMode,
        #[serde(flatten)]
        settings: PlateauSettings,
    },
    /// [`SequentialLr`].
    #[serde(rename = "sequentiallr")]
    SequentialLr {
        schedulers: Vec<ScheduleConfig>,
        milestones: Vec<u64>,
    },
}

/// The optional settings of [`ReduceLrOnPlateau`] in a [`ScheduleConfig`], PyTorch's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlateauSettings {
    /// Multiplicative factor (default 0.1).
    pub factor: f64,
    /// Bad steps tolerated (default 10).
    pub patience: u64,
    /// Improvement threshold (default 1e-4).
    pub threshold: f64,
    /// Rel or abs (default rel).
    pub threshold_mode: ThresholdMode,
    /// Steps to wait after a reduction (default 0).
    pub cooldown: u64,
    /// Lower bound on the rates (default 0).
    pub min_lr: f64,
    /// Smallest change applied (default 1e-8).
    pub eps: f64,
}

impl Default for PlateauSettings {
    fn default() -> Self {
        Self {
            factor: 0.1,
            patience: 10,
            threshold: 1e-4,
            threshold_mode: ThresholdMode::Rel,
            cooldown: 0,
            min_lr: 0.0,
            eps: 1e-8,
        }
    }
}

impl ScheduleConfig {
    /// Builds the schedule on `opt` (which takes the schedule's initial rates).
    ///
    /// # Errors
    /// Invalid settings.
    pub fn build<E: Element>(
        &self,
        opt: &mut dyn Optimizer<E>,
    ) -> Result<Box<dyn Scheduler<E>>, OptimError> {
        Ok(match self.clone() {
            Self::StepLr { step_size, gamma } => Box::new(StepLr::new(opt, step_size, gamma)?),
            Self::MultiStepLr { milestones, gamma } => {
                Box::new(MultiStepLr::new(opt, milestones, gamma)?)
            }
            Self::ExponentialLr { gamma } => Box::new(ExponentialLr::new(opt, gamma)?),
            Self::CosineAnnealingLr { t_max, eta_min } => {
                Box::new(CosineAnnealingLr::new(opt, t_max, eta_min)?)
            }
            Self::CosineAnnealingWarmRestarts {
                t_0,
                t_mult,
                eta_min,
            } => Box::new(CosineAnnealingWarmRestarts::new(opt, t_0, t_mult, eta_min)?),
            Self::LinearLr {
                start_factor,
                end_factor,
                total_iters,
            } => Box::new(LinearLr::new(opt, start_factor, end_factor, total_iters)?),
            Self::OneCycleLr {
                max_lr,
                total_steps,
                options,
            } => Box::new(OneCycleLr::with_options(
                opt,
                &max_lr,
                total_steps,
                options,
            )?),
            Self::ReduceLrOnPlateau { mode, settings: s } => {
                let mut p = ReduceLrOnPlateau::new(opt, mode);
                (p.factor, p.patience, p.threshold, p.threshold_mode) =
                    (s.factor, s.patience, s.threshold, s.threshold_mode);
                (p.cooldown, p.min_lr, p.eps) = (s.cooldown, s.min_lr, s.eps);
                p.validate()?;
                Box::new(p)
            }
            Self::SequentialLr {
                schedulers,
                milestones,
            } => Box::new(SequentialLr::new(opt, schedulers, milestones)?),
        })
    }
}
