//! `downhill l2o`: meta-train and evaluate the learned optimizer (crate `downhill-l2o`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use clap::{Args, Subcommand};
use downhill::plot::{Series, line_chart_svg};
use downhill::{Error, Result, write_atomic};
use downhill_l2o::{
    Aggregate, EvalConfig, EvalReport, FIRST_UNTOUCHED_DRAW, Hidden, LearnedNet, MetaRecord,
    MetaTrainConfig, MlpTask, RealKinds, Selection, Task, TaskGroup, evaluate, meta_train_from,
    reproduction_check,
};
use indicatif::{ProgressBar, ProgressStyle};

mod data;
pub(crate) use data::{family_groups, load_weights, trained_real_data};
use data::{real_data_pool, real_data_record};

/// `downhill l2o`.
#[derive(Debug, Args)]
pub struct L2oArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: L2oAction,
}

/// The l2o subcommands.
#[derive(Debug, Subcommand)]
pub enum L2oAction {
    /// Meta-train with antithetic ES; writes weights.safetensors, meta_loss.csv/.svg and
    /// train.json (command, seed, wall time, commit, reproduction numbers) into --out.
    Train(Box<TrainArgs>),
    /// Compare the learned optimizer with tuned Adam and SGD-momentum on held-out in-family
    /// tasks and the digits MLP; prints the table and verdict, writes eval.json and curve SVGs.
    Eval(EvalArgs),
}

/// `downhill l2o train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Output directory.
    #[arg(long, default_value = "l2o-out")]
    pub out: PathBuf,
    /// ES iterations.
    #[arg(long, default_value_t = MetaTrainConfig::default().iterations)]
    pub iterations: usize,
    /// The seed of everything random.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Antithetic pairs per iteration.
    #[arg(long, default_value_t = MetaTrainConfig::default().pairs)]
    pub pairs: usize,
    /// Tasks per iteration.
    #[arg(long, default_value_t = MetaTrainConfig::default().tasks)]
    pub tasks: usize,
    /// Unroll length.
    #[arg(long, default_value_t = MetaTrainConfig::default().unroll)]
    pub unroll: usize,
    /// ES perturbation scale.
    #[arg(long, default_value_t = MetaTrainConfig::default().sigma)]
    pub sigma: f64,
    /// Adam learning rate on the meta-parameters.
    #[arg(long, default_value_t = MetaTrainConfig::default().meta_lr)]
    pub meta_lr: f64,
    /// Floor of the per-step log loss ratio in the meta-objective.
    #[arg(long, default_value_t = MetaTrainConfig::default().floor, allow_hyphen_values = true)]
    pub floor: f64,
    /// Validate (and possibly select) the network every this many iterations; 0 = never.
    #[arg(long, default_value_t = MetaTrainConfig::default().validate_every)]
    pub validate_every: usize,
    /// Number of validation tasks (with `--selection group-mean`: split evenly into the
    /// evaluation's groups).
    #[arg(long, default_value_t = MetaTrainConfig::default().validation_tasks)]
    pub validation_tasks: usize,
    /// How validated iterates are compared: `regret` (per-task regret against Adam, soft
    /// maximum per kind) or `group-mean` (the evaluation's criterion: group mean and median
    /// final loss against tuned Adam).
    #[arg(long, default_value_t = MetaTrainConfig::default().selection)]
    pub selection: Selection,
    /// How the meta-loss aggregates an iteration's tasks: `soft-max-regret` (per task the log
    /// regret against the task's best Adam, soft maximum per kind) or `mean-ratio` (per kind
    /// the log ratio of the summed normalized losses, learned over Adam, as a group mean
    /// weighs them).
    #[arg(long, default_value_t = MetaTrainConfig::default().aggregate)]
    pub aggregate: Aggregate,
    /// Temperature of the soft maximum over tasks of the regret against Adam; 0 = plain mean.
    #[arg(long, default_value_t = MetaTrainConfig::default().tau)]
    pub tau: f64,
    /// Adam learning rates of the per-task baseline (comma-separated; default 0.1,0.3,1).
    #[arg(long, value_delimiter = ',', default_values_t = MetaTrainConfig::default().baseline_lrs)]
    pub baseline_lrs: Vec<f64>,
    /// Weight of the quadratic kind in the meta-loss's mean over kinds (synthetic MLPs: 1).
    #[arg(long, default_value_t = MetaTrainConfig::default().quadratic_weight)]
    pub quadratic_weight: f64,
    /// Weight of the real-data kind (with --real-data) in the meta-loss's mean over kinds
    /// (synthetic MLPs: 1).
    #[arg(long, default_value_t = MetaTrainConfig::default().real_weight)]
    pub real_weight: f64,
    /// How the real-data tasks form kinds of the meta-loss: `pooled` (one kind, one soft
    /// maximum) or `per-set` (one kind per data set, each its own soft maximum, sharing the
    /// real weight equally).
    #[arg(long, default_value_t = MetaTrainConfig::default().real_kinds)]
    pub real_kinds: RealKinds,
    /// Lower bound on each task's regret against Adam in the meta-loss (default: none).
    #[arg(long, allow_hyphen_values = true)]
    pub regret_floor: Option<f64>,
    /// Learning rate of the Adam the initial network is.
    #[arg(long, default_value_t = MetaTrainConfig::default().initial_lr)]
    pub initial_lr: f64,
    /// Weight of the final log loss ratio in each unroll's objective (the rest: the
    /// step-weighted mean).
    #[arg(long, default_value_t = MetaTrainConfig::default().final_weight)]
    pub final_weight: f64,
    /// Bundled data sets whose meta-training rows become a third kind of task (comma-separated
    /// from iris, wine, breast-cancer; features z-scored per column; default: none).
    #[arg(long, value_delimiter = ',')]
    pub real_data: Vec<String>,
    /// Sampling weights of the --real-data sets for the real-data tasks, one per set in the
    /// same order (comma-separated, each > 0; default: uniform). E.g. `--real-data
    /// iris,wine,breast-cancer --real-set-weights 3,1,1` draws iris for 3/5 of them.
    #[arg(long, value_delimiter = ',')]
    pub real_set_weights: Vec<f64>,
    /// Update-growth limit γ of the optimizer being trained: a tensor's update RMS may grow by
    /// at most this factor per step (≥ 1; default: no limit). Saved with the weights.
    #[arg(long)]
    pub growth_limit: Option<f64>,
    /// Reversal shrink η of the optimizer being trained: a tensor's update is multiplied by η
    /// when its gradient points against its fast momentum (0 < η ≤ 1; default: none; the
    /// shipped weights: 0.85). Saved with the weights.
    #[arg(long)]
    pub reversal_shrink: Option<f64>,
    /// Loss shrink η_L of the optimizer being trained: a global scale on every update, cut by
    /// η_L when the loss is above its running average and recovering by 1.1 per step otherwise
    /// (the bold driver; 0 < η_L ≤ 1; default: none). Saved with the weights.
    #[arg(long)]
    pub loss_shrink: Option<f64>,
    /// Reversal recovery ρ of the optimizer being trained: makes the reversal shrink a
    /// persistent per-tensor scale, cut by η on every reversal and regrown by ρ (up to 1) on
    /// every other step (≥ 1; needs --reversal-shrink; default: none). Saved with the weights.
    #[arg(long)]
    pub reversal_recovery: Option<f64>,
    /// The network also reads three oscillation features: the tensor's gradient-momentum
    /// cosine, its running average, and the loss change (24 inputs instead of 21).
    #[arg(long)]
    pub oscillation_features: bool,
    /// Start from these weights instead of the Adam-equivalent network (a warm start; a
    /// 21-input file is widened with zero weights when --oscillation-features is given). The
    /// file's step rules are replaced by this run's.
    #[arg(long)]
    pub init_weights: Option<PathBuf>,
    /// Pull the meta-parameters towards the initial network (the --init-weights network, or
    /// the Adam-equivalent one) after every meta-step: θ ← θ − meta_lr · λ · (θ − θ₀), a
    /// decoupled L2-SP (default: none).
    #[arg(long)]
    pub anchor_decay: Option<f64>,
}

/// `downhill l2o eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Weights to evaluate (default: the shipped weights).
    #[arg(long)]
    pub weights: Option<PathBuf>,
    /// Directory for eval.json, eval.txt and the curve SVGs (default: print only).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Instances (seeds) per task group.
    #[arg(long, default_value_t = 20)]
    pub seeds: usize,
    /// Step budget, equal for every optimizer.
    #[arg(long, default_value_t = 100)]
    pub steps: usize,
    /// Which held-out draw to use. Draws from 10 on (`FIRST_UNTOUCHED_DRAW`) are reserved for
    /// reporting and never used in a design or selection decision; 0–9 are development draws.
    #[arg(long, default_value_t = FIRST_UNTOUCHED_DRAW)]
    pub seed: u64,
    /// Skip the out-of-family digits MLP (the slowest group).
    #[arg(long)]
    pub in_family_only: bool,
    /// Skip the held-out real-data groups (mlp-iris, mlp-wine, mlp-breast-cancer).
    #[arg(long)]
    pub no_real_data: bool,
}

pub(crate) fn l2o_err(e: downhill_l2o::L2oError) -> Error {
    Error::config("l2o", e.to_string())
}

/// Runs the l2o command.
pub fn run(args: L2oArgs) -> Result<()> {
    match args.action {
        L2oAction::Train(a) => train(&a),
        L2oAction::Eval(a) => eval(&a),
    }
}

/// The checked-out commit of the working directory, with `-dirty` when tracked files differ
/// from it, or `unknown` outside a git checkout. Taken when the run starts, so that a commit
/// made while it runs is not recorded as its source.
fn git_commit() -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match git(&["rev-parse", "HEAD"]) {
        None => "unknown".into(),
        Some(head) => match git(&["status", "--porcelain", "--untracked-files=no"]) {
            Some(changes) if !changes.is_empty() => format!("{head}-dirty"),
            _ => head,
        },
    }
}

fn train(a: &TrainArgs) -> Result<()> {
    let cfg = MetaTrainConfig {
        iterations: a.iterations,
        pairs: a.pairs,
        tasks: a.tasks,
        unroll: a.unroll,
        sigma: a.sigma,
        meta_lr: a.meta_lr,
        seed: a.seed,
        floor: a.floor,
        validate_every: a.validate_every,
        validation_tasks: a.validation_tasks,
        selection: a.selection,
        aggregate: a.aggregate,
        tau: a.tau,
        baseline_lrs: a.baseline_lrs.clone(),
        quadratic_weight: a.quadratic_weight,
        real_weight: a.real_weight,
        real_kinds: a.real_kinds,
        regret_floor: a.regret_floor,
        initial_lr: a.initial_lr,
        final_weight: a.final_weight,
        real_data: a.real_data.clone(),
        real_set_weights: a.real_set_weights.clone(),
        growth_limit: a.growth_limit,
        reversal_shrink: a.reversal_shrink,
        loss_shrink: a.loss_shrink,
        reversal_recovery: a.reversal_recovery,
        oscillation_features: a.oscillation_features,
        anchor_decay: a.anchor_decay,
    };
    let pool = real_data_pool(&cfg.real_data)?;
    let initial = a
        .init_weights
        .as_deref()
        .map(|p| LearnedNet::load(p).map(|(net, _)| net))
        .transpose()
        .map_err(l2o_err)?;
    std::fs::create_dir_all(&a.out).map_err(|e| Error::io(&a.out, e))?;
    let bar = ProgressBar::new(cfg.iterations as u64);
    bar.set_style(
        ProgressStyle::with_template("meta-train {bar:30} {pos}/{len} [{elapsed}<{eta}] {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let commit = git_commit();
    let start = Instant::now();
    let run = meta_train_from(&cfg, &pool, initial, |r| {
        bar.set_message(format!("meta-loss {:.3}", r.meta_loss));
        bar.inc(1);
    })
    .map_err(l2o_err)?;
    let (net, records) = (run.net, run.records);
    bar.finish();
    let wall = start.elapsed().as_secs_f64();
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let mut meta = BTreeMap::new();
    meta.insert("seed".to_string(), cfg.seed.to_string());
    meta.insert("iterations".to_string(), cfg.iterations.to_string());
    meta.insert("meta_train_config".to_string(), json(&cfg)?);
    meta.insert("command".to_string(), command.clone());
    if !pool.is_empty() {
        meta.insert("real_data".to_string(), json(&real_data_record(&pool))?);
    }
    if let Some(p) = &a.init_weights {
        meta.insert("init_weights".to_string(), p.display().to_string());
    }
    net.save(&a.out.join("weights.safetensors"), &meta)
        .map_err(l2o_err)?;
    write_curve(&a.out, &records)?;
    let check = reproduction_check(&Arc::new(net)).map_err(l2o_err)?;
    let record = serde_json::json!({
        "command": command,
        "config": cfg,
        "wall_time_seconds": wall,
        "git_commit": commit,
        "final_meta_loss": records.last().map(|r| r.meta_loss),
        "initial_validation": run.initial_validation,
        "selected_iteration": run.selected,
        "selected_validation": records
            .iter()
            .find(|r| Some(r.iteration) == run.selected)
            .and_then(|r| r.validation)
            .or(run.initial_validation),
        "reproduction_check": check,
        "real_data": real_data_record(&pool),
        "init_weights": a.init_weights,
    });
    write_atomic(&a.out.join("train.json"), json(&record)?.as_bytes())?;
    eprintln!("meta-trained in {wall:.1} s; wrote {}", a.out.display());
    Ok(())
}

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string_pretty(v).map_err(|e| Error::config("l2o", e.to_string()))
}

fn write_curve(out: &Path, records: &[MetaRecord]) -> Result<()> {
    let mut csv = String::from("iteration,meta_loss,grad_norm,validation\n");
    for r in records {
        let v = r.validation.map_or_else(String::new, |v| v.to_string());
        csv += &format!("{},{},{},{v}\n", r.iteration, r.meta_loss, r.grad_norm);
    }
    write_atomic(&out.join("meta_loss.csv"), csv.as_bytes())?;
    let points = records
        .iter()
        .map(|r| (r.iteration as f64, r.meta_loss))
        .collect();
    let validation = records
        .iter()
        .filter_map(|r| r.validation.map(|v| (r.iteration as f64, v)))
        .collect();
    let series = [
        Series {
            label: "meta-loss: step-weighted mean log(L_t/L_0), this iteration's tasks".into(),
            points,
        },
        Series {
            label: "validation: mean final log(L_T/L_0), fixed tasks".into(),
            points: validation,
        },
    ];
    let svg = line_chart_svg(
        "l2o meta-training",
        "ES iteration",
        "meta-loss",
        &series,
        false,
    )?;
    write_atomic(&out.join("meta_loss.svg"), svg.as_bytes())
}

/// The out-of-family group: an MLP (64-32-10, relu) trained full-batch on 512 random bundled
/// digits (features scaled to [0, 1]), one subset and initialization per seed.
pub(crate) fn digits_group(seeds: usize, seed: u64) -> Result<TaskGroup> {
    use rand::{SeedableRng, seq::SliceRandom};
    let mut ds = downhill::data::load_bundled::<f64>("digits")?;
    ds.scale_features(1.0 / 16.0);
    let mut instances: Vec<Box<dyn Task>> = Vec::new();
    for s in 0..seeds as u64 {
        let mut rng = downhill::DefaultRng::seed_from_u64(seed * 1000 + s);
        let mut idx: Vec<usize> = (0..ds.len()).collect();
        idx.shuffle(&mut rng);
        let sub = ds.subset(&idx[..512.min(ds.len())])?;
        let task = MlpTask::new(
            "digits-mlp",
            sub.features().clone(),
            sub.labels().to_vec(),
            10,
            &[32],
            Hidden::Relu,
            seed * 1000 + s,
        )
        .map_err(l2o_err)?;
        instances.push(Box::new(task));
    }
    Ok(TaskGroup::new("digits-mlp", false, instances))
}

fn eval(a: &EvalArgs) -> Result<()> {
    let (net, metadata) = load_weights(a.weights.as_deref())?;
    let trained_on = trained_real_data(&metadata);
    let mut groups = family_groups(a.seed, a.seeds, a.no_real_data, &trained_on)?;
    if !a.in_family_only {
        groups.push(digits_group(a.seeds, a.seed)?);
    }
    let cfg = EvalConfig {
        steps: a.steps,
        ..EvalConfig::default()
    };
    eprintln!(
        "evaluating {} groups × {} seeds, {} steps …",
        groups.len(),
        a.seeds,
        a.steps
    );
    let report = evaluate(&Arc::new(net), &groups, &cfg).map_err(l2o_err)?;
    let text = format!("{}\n{}\n", report.table(), report.verdict());
    print!("{text}");
    if let Some(out) = &a.out {
        write_report(out, &report, &text)?;
    }
    Ok(())
}

fn write_report(out: &Path, report: &EvalReport, text: &str) -> Result<()> {
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    write_atomic(&out.join("eval.json"), json(report)?.as_bytes())?;
    write_atomic(&out.join("eval.txt"), text.as_bytes())?;
    for g in &report.groups {
        let series: Vec<Series> = g
            .curves
            .iter()
            .map(|c| Series {
                label: format!("{} (lr {:.0e}), mean of {}", c.optimizer, c.lr, g.seeds),
                points: c
                    .mean
                    .iter()
                    .enumerate()
                    .map(|(t, &l)| (t as f64, l))
                    .collect(),
            })
            .collect();
        let title = format!("{}: loss vs step", g.task);
        let svg = line_chart_svg(&title, "step", "loss", &series, true)?;
        write_atomic(&out.join(format!("curve_{}.svg", g.task)), svg.as_bytes())?;
    }
    Ok(())
}
