//! [`MetaTrainConfig`]: the meta-training settings, their defaults and their checks.

use serde::{Deserialize, Serialize};

use crate::error::{Result, config};
use crate::net::{INITIAL_LR, check_growth_limit, check_shrink};

/// Meta-training settings. The defaults are a small run; the shipped weights' settings are
/// recorded in `assets/l2o/train.json` (and in the weights' metadata).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetaTrainConfig {
    /// ES iterations (meta-steps).
    pub iterations: usize,
    /// Antithetic pairs per iteration (2 × pairs perturbed optimizers are unrolled).
    pub pairs: usize,
    /// Tasks per iteration, shared by every perturbation: in turn quadratic, synthetic-data MLP and
    /// (with real data) real-data MLP
    /// ([`training_tasks_with`](crate::family::training_tasks_with)).
    pub tasks: usize,
    /// Unroll length (inner steps per task).
    pub unroll: usize,
    /// The ES perturbation scale σ.
    pub sigma: f64,
    /// Adam's learning rate on the meta-parameters.
    pub meta_lr: f64,
    /// The seed of everything random: the initial network, the tasks, the perturbations.
    pub seed: u64,
    /// The floor of each per-step term of [`meta_objective`](super::meta_objective): a loss ratio
    /// `L_t/L_0` below `e^floor` counts as solved, so easy tasks stop earning credit there and the
    /// hard ones get the attention.
    #[serde(default = "default_floor")]
    pub floor: f64,
    /// Score the current network on the fixed validation tasks every this many iterations
    /// (0: never; the last iterate is returned).
    #[serde(default = "default_validate_every")]
    pub validate_every: usize,
    /// The number of validation tasks (of the kinds in the same turn as the iterations' tasks,
    /// drawn from the training seed range, and for real data from the meta-training rows,
    /// with a stream no iteration uses, so neither held-out nor trained on). With
    /// [`Selection::GroupMean`] they are split evenly into the evaluation's groups instead
    /// (`validation_tasks / groups` instances per group, at least 1).
    #[serde(default = "default_validation_tasks")]
    pub validation_tasks: usize,
    /// How validated iterates are compared ([`Selection`]; default: the per-task regret).
    #[serde(default)]
    pub selection: Selection,
    /// The temperature `τ` of the soft maximum over tasks of the regret against Adam (see
    /// [`meta_loss`](super::meta_loss)); 0 gives the plain mean of the objectives (no Adam
    /// baseline).
    #[serde(default = "default_tau")]
    pub tau: f64,
    /// Adam's learning rates for the per-task baseline of [`meta_loss`](super::meta_loss) (and of
    /// the validation score): each task's reference is the best of Adam over these. Default
    /// [`BASELINE_ADAM_LRS`].
    #[serde(default = "default_baseline_lrs")]
    pub baseline_lrs: Vec<f64>,
    /// The weight of the quadratic kind in the mean over kinds of [`meta_loss`](super::meta_loss)
    /// (the synthetic MLP kind has weight 1); default 1.
    #[serde(default = "default_kind_weight")]
    pub quadratic_weight: f64,
    /// The weight of the real-data kind (`mlp-real`, present when
    /// [`real_data`](Self::real_data) is not empty) in the mean over kinds of
    /// [`meta_loss`](super::meta_loss) (the synthetic MLP kind has weight 1; with
    /// [`RealKinds::PerSet`] the per-set kinds share it equally); default 1, the rule before the
    /// weight existed.
    #[serde(default = "default_kind_weight")]
    pub real_weight: f64,
    /// Whether the real-data tasks form one kind of the meta-loss or one kind per data set
    /// ([`RealKinds`]; default: one kind, the rule before the choice existed).
    #[serde(default)]
    pub real_kinds: RealKinds,
    /// A lower bound on each task's regret in [`meta_loss`](super::meta_loss) and the validation
    /// score (`None`: unbounded). With `Some(c)`, beating Adam on a task by more than `e^{−c}` in
    /// loss ratio earns no further credit, so the meta-gradient comes from the tasks where the
    /// learned optimizer is behind or close, which is what per-instance wins and a mean over
    /// instances dominated by the hardest ones measure.
    #[serde(default)]
    pub regret_floor: Option<f64>,
    /// How [`meta_loss`](super::meta_loss) aggregates the iteration's tasks ([`Aggregate`];
    /// default: the soft maximum of log regrets).
    #[serde(default)]
    pub aggregate: Aggregate,
    /// The learning rate of the Adam the initial network is
    /// ([`LearnedNet::initial_with_lr`](crate::net::LearnedNet::initial_with_lr)); default
    /// [`INITIAL_LR`] (0.3).
    #[serde(default = "default_initial_lr")]
    pub initial_lr: f64,
    /// The weight of the final log loss ratio in each unroll's objective (the rest goes to the
    /// step-weighted mean; see [`meta_objective_weighted`](super::meta_objective_weighted));
    /// default ½.
    #[serde(default = "default_final_weight")]
    pub final_weight: f64,
    /// The names of the real data sets of the [`DataPool`](crate::real::DataPool) handed to
    /// [`meta_train_with`](super::meta_train_with), in order (empty: no real-data tasks, the family
    /// before real data existed). Recorded so that a run's configuration says which data it saw;
    /// the pool must match it.
    #[serde(default)]
    pub real_data: Vec<String>,
    /// Sampling weights of the [`real_data`](Self::real_data) sets for the real-data tasks of
    /// the iterations (and of the per-task validation), one per set in the same order:
    /// a task draws set `i` with probability `wᵢ / Σ w`
    /// ([`DataPool::with_sampling_weights`](crate::real::DataPool::with_sampling_weights)).
    /// Empty (the default): uniform, the rule before the weights existed. The held-out groups
    /// and the group-mean validation hold every set equally either way.
    #[serde(default)]
    pub real_set_weights: Vec<f64>,
    /// The update-growth limit `γ` of the optimizer being meta-trained
    /// ([`LearnedNet::growth_limit`](crate::net::LearnedNet::growth_limit); `None`: no limit, the
    /// default and the rule before the limit existed). Every network of the run (perturbed,
    /// validated, returned) carries it.
    #[serde(default)]
    pub growth_limit: Option<f64>,
    /// The reversal shrink `η` of the optimizer being meta-trained
    /// ([`LearnedNet::reversal_shrink`](crate::net::LearnedNet::reversal_shrink); `None`: none,
    /// the default). Every network of the run carries it, like the growth limit.
    #[serde(default)]
    pub reversal_shrink: Option<f64>,
    /// The loss shrink `η_L` of the optimizer being meta-trained
    /// ([`LearnedNet::loss_shrink`](crate::net::LearnedNet::loss_shrink); `None`: none, the
    /// default). Every network of the run carries it, like the growth limit; the unrolls tell
    /// it each loss ([`unroll`](crate::unroll)).
    #[serde(default)]
    pub loss_shrink: Option<f64>,
    /// The reversal recovery `ρ` of the optimizer being meta-trained
    /// ([`LearnedNet::reversal_recovery`](crate::net::LearnedNet::reversal_recovery); `None`:
    /// none, the default); it makes the reversal shrink persistent and requires one.
    #[serde(default)]
    pub reversal_recovery: Option<f64>,
    /// Whether the network reads the three oscillation features as well
    /// ([`EXTENDED_FEATURES`](crate::features::EXTENDED_FEATURES) inputs instead of
    /// [`NUM_FEATURES`](crate::features::NUM_FEATURES); default: no, the network before they
    /// existed).
    #[serde(default)]
    pub oscillation_features: bool,
    /// A decoupled pull of the meta-parameters towards the initial network `θ₀` (the warm
    /// start of [`meta_train_from`](super::meta_train_from), or the Adam-equivalent network),
    /// applied after every Adam meta-step, as AdamW applies its weight decay:
    ///
    /// ```text
    /// θ ← θ − meta_lr · λ · (θ − θ₀)
    /// ```
    ///
    /// `None` (the default): no pull, the rule before it existed. Adam moves a coordinate by
    /// at most about `meta_lr` per iteration, so a coordinate drifts at most about `1/λ` from
    /// `θ₀`. This is L2-SP (Li, Grandvalet and Davis 2018, "Explicit inductive bias for
    /// transfer learning with convolutional networks"), decoupled: with a warm start it keeps
    /// what the initial network does where the new meta-training does not pay to change it
    /// (e.g. new input rows, widened with zeros, stay near zero unless they earn their use).
    #[serde(default)]
    pub anchor_decay: Option<f64>,
}

fn default_final_weight() -> f64 {
    0.5
}

fn default_initial_lr() -> f64 {
    INITIAL_LR
}

fn default_baseline_lrs() -> Vec<f64> {
    BASELINE_ADAM_LRS.to_vec()
}

/// The default weight of a kind in the meta-loss's mean over kinds (every kind equal).
fn default_kind_weight() -> f64 {
    1.0
}

fn default_tau() -> f64 {
    MetaTrainConfig::default().tau
}

/// Adam's learning rates for the per-task baseline of [`meta_loss`](super::meta_loss): the best of
/// these (by the same objective) is the reference each task's learned run is measured against.
pub const BASELINE_ADAM_LRS: [f64; 3] = [0.1, 0.3, 1.0];

fn default_floor() -> f64 {
    MetaTrainConfig::default().floor
}

fn default_validate_every() -> usize {
    MetaTrainConfig::default().validate_every
}

fn default_validation_tasks() -> usize {
    MetaTrainConfig::default().validation_tasks
}

/// `Display` and `FromStr` for a settings enum from its variants' command-line names (the
/// kebab-case names serde uses too); the parse error names the setting and lists the names.
macro_rules! names {
    ($ty:ident, $what:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(match self {
                    $(Self::$variant => $name,)+
                })
            }
        }

        impl std::str::FromStr for $ty {
            type Err = String;

            fn from_str(s: &str) -> std::result::Result<Self, String> {
                match s {
                    $($name => Ok(Self::$variant),)+
                    _ => Err(format!(
                        "unknown {} {s:?}: expected {}",
                        $what,
                        [$(format!("{:?}", $name)),+].join(" or ")
                    )),
                }
            }
        }
    };
}

/// How the meta-loss aggregates the unrolls of an iteration ([`MetaTrainConfig::aggregate`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Aggregate {
    /// Per task the log regret against the task's best Adam, soft maximum per kind
    /// ([`meta_loss`](super::meta_loss)).
    #[default]
    SoftMaxRegret,
    /// Per kind the log ratio of the *summed* normalized losses, learned over Adam (each task's
    /// Adam at its best rate of [`MetaTrainConfig::baseline_lrs`]):
    ///
    /// ```text
    /// qᵢ = (1 − w) · Σ_t t · min(L_t/L_0, e³) / Σ_t t  +  w · min(L_T/L_0, e³)
    ///                                  (w = final_weight; non-finite L_t → e³)
    /// J_K = clamp(ln(Σ_{i∈K} qᵢ(learned) / Σ_{i∈K} qᵢ(Adam)), −3, 3)
    /// ```
    ///
    /// The log regret weighs a task by how many *times* the learned optimizer is behind, so a
    /// task it ends at 10⁻⁶ against Adam's 10⁻⁸ counts as much as one it ends at 10⁻¹ against
    /// 10⁻³; a group mean, which is what the evaluation compares, is decided by the second
    /// kind alone. Here, as in that mean, a task counts by the size of its (normalized) loss.
    /// [`MetaTrainConfig::tau`], [`MetaTrainConfig::regret_floor`] and
    /// [`MetaTrainConfig::floor`] do not act on it.
    MeanRatio,
}

names!(Aggregate, "aggregate", { SoftMaxRegret => "soft-max-regret", MeanRatio => "mean-ratio" });

/// How the real-data tasks of an iteration are grouped into kinds of the meta-loss
/// ([`MetaTrainConfig::real_kinds`]). The meta-loss takes a soft maximum within each kind and
/// a weighted mean over kinds ([`meta_loss`](super::meta_loss)); the real data keep the total
/// weight [`MetaTrainConfig::real_weight`] either way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RealKinds {
    /// One kind, `mlp-real`, for the tasks on every data set: one soft maximum over them all,
    /// weight `real_weight`.
    #[default]
    Pooled,
    /// One kind per data set (`mlp-real:iris`, `mlp-real:wine`, …), each with its own soft
    /// maximum and weight `real_weight / s`, `s` the number of sets among the iteration's
    /// tasks. Inside one soft maximum the set with the largest regrets (breast-cancer, in the
    /// runs of `assets/l2o/HISTORY.md`) can take the meta-gradient from the others; here each
    /// set has its share.
    PerSet,
}

names!(RealKinds, "real kinds", { Pooled => "pooled", PerSet => "per-set" });

/// How meta-training scores its iterates to select the one it returns
/// ([`MetaTrainConfig::selection`]; the iterate with the lowest score wins, the initial
/// network included). Selection never steers the ES trajectory: two runs that differ only in
/// it visit the same iterates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Selection {
    /// Per validation task the final log loss ratio's regret against the best Adam of
    /// [`MetaTrainConfig::baseline_lrs`] on that task, aggregated per kind by the soft maximum
    /// and averaged over kinds like the meta-loss ([`final_objective`](super::final_objective)).
    #[default]
    Regret,
    /// The evaluation's criterion: on groups built like the held-out groups
    /// ([`validation_groups_with`](crate::validation_groups_with)), the final loss's group mean
    /// and median against Adam at the grid rate with the lowest group mean, as `downhill l2o
    /// eval` compares them, each group's worse log ratio clamped and the groups averaged:
    ///
    /// ```text
    /// r_G = clamp(max(ln(mean_G L / mean_G A), ln(median_G L / median_G A)), GROUP_SCORE_FLOOR, 3)
    /// S   = mean over groups G of r_G        (a diverged run counts as an infinite loss)
    /// ```
    ///
    /// A group is won exactly when `r_G < 0`, as an evaluation cell is. The floor stops a
    /// group won by a wide margin from paying for one that is lost; the group mean is what
    /// one plateaued instance decides, which the per-task regret (floored and soft-maximized
    /// per task) does not see in proportion.
    GroupMean,
}

names!(Selection, "selection", { Regret => "regret", GroupMean => "group-mean" });

/// The floor of each group's log ratio in [`Selection::GroupMean`].
pub const GROUP_SCORE_FLOOR: f64 = -1.0;

/// The task-stream index of the validation tasks: far above any iteration count.
pub(super) const VALIDATION_STREAM: u64 = 1 << 39;

impl Default for MetaTrainConfig {
    fn default() -> Self {
        Self {
            iterations: 200,
            pairs: 8,
            tasks: 4,
            unroll: 100,
            sigma: 0.02,
            meta_lr: 3e-3,
            seed: 0,
            floor: -16.0,
            validate_every: 10,
            validation_tasks: 24,
            selection: Selection::Regret,
            tau: 1.0,
            baseline_lrs: default_baseline_lrs(),
            quadratic_weight: default_kind_weight(),
            real_weight: default_kind_weight(),
            real_kinds: RealKinds::Pooled,
            regret_floor: None,
            aggregate: Aggregate::SoftMaxRegret,
            initial_lr: INITIAL_LR,
            final_weight: default_final_weight(),
            real_data: Vec::new(),
            real_set_weights: Vec::new(),
            growth_limit: None,
            reversal_shrink: None,
            loss_shrink: None,
            reversal_recovery: None,
            oscillation_features: false,
            anchor_decay: None,
        }
    }
}

impl MetaTrainConfig {
    /// The number of inputs of the networks of the run: 24 with
    /// [`MetaTrainConfig::oscillation_features`], else 21.
    pub fn inputs(&self) -> usize {
        if self.oscillation_features {
            crate::features::EXTENDED_FEATURES
        } else {
            crate::features::NUM_FEATURES
        }
    }
}

impl MetaTrainConfig {
    pub(crate) fn validate(&self) -> Result<()> {
        let positive = [
            ("iterations", self.iterations),
            ("pairs", self.pairs),
            ("tasks", self.tasks),
            ("unroll", self.unroll),
            ("validation_tasks", self.validation_tasks),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(config(name, "must be at least 1"));
        }
        if !(self.sigma > 0.0 && self.sigma.is_finite()) {
            return Err(config(
                "sigma",
                format!("must be finite and > 0, got {}", self.sigma),
            ));
        }
        if !(self.floor < 0.0 && self.floor.is_finite()) {
            return Err(config(
                "floor",
                format!("must be finite and < 0, got {}", self.floor),
            ));
        }
        if !(self.tau >= 0.0 && self.tau.is_finite()) {
            return Err(config(
                "tau",
                format!("must be finite and ≥ 0, got {}", self.tau),
            ));
        }
        if self.baseline_lrs.is_empty()
            || self
                .baseline_lrs
                .iter()
                .any(|lr| !(*lr > 0.0 && lr.is_finite()))
        {
            return Err(config(
                "baseline_lrs",
                format!(
                    "need at least one finite rate > 0, got {:?}",
                    self.baseline_lrs
                ),
            ));
        }
        for (name, w) in [
            ("quadratic_weight", self.quadratic_weight),
            ("real_weight", self.real_weight),
        ] {
            if !(w > 0.0 && w.is_finite()) {
                return Err(config(name, format!("must be finite and > 0, got {w}")));
            }
        }
        if !(self.initial_lr > 0.0 && self.initial_lr.is_finite()) {
            return Err(config(
                "initial_lr",
                format!("must be finite and > 0, got {}", self.initial_lr),
            ));
        }
        crate::real::check_set_weights(&self.real_set_weights, self.real_data.len())?;
        check_growth_limit(self.growth_limit, "growth_limit")?;
        check_shrink(self.reversal_shrink, "reversal_shrink")?;
        check_shrink(self.loss_shrink, "loss_shrink")?;
        check_growth_limit(self.reversal_recovery, "reversal_recovery")?;
        if self.reversal_recovery.is_some() && self.reversal_shrink.is_none() {
            return Err(config(
                "reversal_recovery",
                "needs a reversal_shrink: the recovery belongs to the shrink",
            ));
        }
        if !(0.0..=1.0).contains(&self.final_weight) {
            return Err(config(
                "final_weight",
                format!("must be in [0, 1], got {}", self.final_weight),
            ));
        }
        if let Some(c) = self.regret_floor.filter(|c| !c.is_finite()) {
            return Err(config("regret_floor", format!("must be finite, got {c}")));
        }
        if let Some(l) = self.anchor_decay.filter(|l| !(*l > 0.0 && l.is_finite())) {
            return Err(config(
                "anchor_decay",
                format!("must be finite and > 0, got {l}"),
            ));
        }
        if let Some(l) = self.anchor_decay.filter(|l| self.meta_lr * l > 1.0) {
            return Err(config(
                "anchor_decay",
                format!(
                    "meta_lr · anchor_decay must be at most 1 (a pull past the anchor), got {} · {l}",
                    self.meta_lr
                ),
            ));
        }
        if !(self.meta_lr > 0.0 && self.meta_lr.is_finite()) {
            return Err(config(
                "meta_lr",
                format!("must be finite and > 0, got {}", self.meta_lr),
            ));
        }
        Ok(())
    }
}
