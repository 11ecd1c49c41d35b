//! Early stopping: stop when a validation metric has not improved for `patience` epochs.

use crate::Result;
use crate::error::non_negative;

/// Whether a smaller or a larger metric is better.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Goal {
    /// Smaller is better (a loss; the default).
    #[default]
    Min,
    /// Larger is better (an accuracy).
    Max,
}

/// What [`EarlyStopping::update`] concludes about an epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Decision {
    /// A new best metric: snapshot the weights (see [`BestSnapshot`](crate::BestSnapshot)).
    Improved,
    /// No improvement, but patience is not exhausted: keep training.
    Continue,
    /// Patience is exhausted: stop and restore the best weights.
    Stop,
}

/// Early stopping (Prechelt 1998, "Early stopping — but when?"): training stops once the
/// validation metric has failed to improve for `patience` consecutive epochs.
///
/// ```text
/// improved(m)  ⇔  m < best − min_delta   (Goal::Min)
///              ⇔  m > best + min_delta   (Goal::Max)
/// stop         ⇔  epochs since the last improvement ≥ patience
/// ```
/// The first finite metric is always an improvement; a NaN metric never is (a diverging run
/// runs out of patience instead of crashing). After `Stop`, every update returns `Stop`.
/// The state serializes, so a resumed run keeps its count.
///
/// ```
/// use downhill_reg::{Decision, EarlyStopping, Goal};
/// let mut es = EarlyStopping::new(Goal::Min, 2, 0.0).unwrap();
/// let decisions: Vec<_> = [1.0, 0.5, 0.6, 0.7].iter().enumerate()
///     .map(|(epoch, &loss)| es.update(epoch, loss)).collect();
/// assert_eq!(decisions, [Decision::Improved, Decision::Improved, Decision::Continue, Decision::Stop]);
/// assert_eq!(es.best(), Some((1, 0.5)));
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EarlyStopping {
    goal: Goal,
    patience: usize,
    min_delta: f64,
    best: Option<(usize, f64)>,
    bad_epochs: usize,
    stopped: bool,
}

impl EarlyStopping {
    /// Early stopping towards `goal` with `patience` epochs and improvements counted only
    /// beyond `min_delta`.
    ///
    /// # Errors
    /// [`RegError::InvalidHyperparameter`](crate::RegError) for a negative or non-finite
    /// `min_delta`.
    pub fn new(goal: Goal, patience: usize, min_delta: f64) -> Result<Self> {
        non_negative("early_stopping", "min_delta", min_delta)?;
        Ok(Self {
            goal,
            patience,
            min_delta,
            best: None,
            bad_epochs: 0,
            stopped: false,
        })
    }

    /// Records the metric of `epoch` and decides.
    pub fn update(&mut self, epoch: usize, metric: f64) -> Decision {
        if self.stopped {
            return Decision::Stop;
        }
        if self.improves(metric) {
            self.best = Some((epoch, metric));
            self.bad_epochs = 0;
            return Decision::Improved;
        }
        self.bad_epochs += 1;
        if self.bad_epochs >= self.patience {
            self.stopped = true;
            Decision::Stop
        } else {
            Decision::Continue
        }
    }

    /// Whether `metric` would count as an improvement on the best so far.
    pub fn improves(&self, metric: f64) -> bool {
        if metric.is_nan() {
            return false;
        }
        match (self.best, self.goal) {
            (None, _) => true,
            (Some((_, best)), Goal::Min) => metric < best - self.min_delta,
            (Some((_, best)), Goal::Max) => metric > best + self.min_delta,
        }
    }

    /// The best `(epoch, metric)` so far.
    pub fn best(&self) -> Option<(usize, f64)> {
        self.best
    }

    /// Epochs since the last improvement.
    pub fn bad_epochs(&self) -> usize {
        self.bad_epochs
    }

    /// Whether [`Decision::Stop`] has been returned.
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// The goal.
    pub fn goal(&self) -> Goal {
        self.goal
    }

    /// The patience in epochs.
    pub fn patience(&self) -> usize {
        self.patience
    }

    /// The smallest change that counts as an improvement.
    pub fn min_delta(&self) -> f64 {
        self.min_delta
    }

    /// Forgets the history (keeps the settings).
    pub fn reset(&mut self) {
        self.best = None;
        self.bad_epochs = 0;
        self.stopped = false;
    }
}
