//! The subcommands' implementations.

use std::path::Path;

use downhill::checkpoint::load_checkpoint;
use downhill::data::{CsvOptions, Dataset};
use downhill::metrics::{ConfusionMatrix, accuracy, top_k_accuracy};
use downhill::optim::ScheduleConfig;
use downhill::reg::{Augmentation, Penalty};
use downhill::run::{DataConfig, Normalize, RunConfig, execute, load_data, prepare};
use downhill::{
    Activation, EarlyStoppingConfig, Error, Loss, NanPolicy, Result, SchedulePer, Tensor,
};
use rand::SeedableRng;

use crate::args::{Cli, Command, EvalArgs, PredictArgs, TrainArgs};

/// Runs the parsed command.
pub fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Train(a) => train(*a),
        Command::Eval(a) => eval(a),
        Command::Predict(a) => predict(a),
        Command::Lab(a) => crate::lab::run(a),
        Command::Bench(a) => crate::bench::run(a),
        Command::L2o(a) => crate::l2o::run(a),
    }
}

fn train(a: TrainArgs) -> Result<()> {
    let config = resolve(&a)?;
    // Everything is validated and built before anything is written.
    let prepared = prepare(config, a.resume.as_deref())?;
    eprintln!(
        "training {:?}: {} train / {} validation rows, {} parameters, {} epochs",
        prepared.config.data.source,
        prepared.train.len(),
        prepared.val.len(),
        prepared.net.params().num_elements(),
        prepared.config.train.epochs
    );
    let s = execute(prepared, &a.out)?;
    println!(
        "final validation accuracy {:.4} (best {:.4} at epoch {}), validation loss {:.4}, {:.1} s; results in {}",
        s.final_val_accuracy,
        s.best_val_accuracy,
        s.best_epoch,
        s.final_val_loss,
        s.wall_time_s,
        a.out.display()
    );
    Ok(())
}

/// The run configuration: the config file (or defaults) with the flags applied on top.
fn resolve(a: &TrainArgs) -> Result<RunConfig> {
    let mut c = match (&a.resume, &a.config) {
        // A resumed run continues the configuration it was started with; flags still override.
        (Some(ck), _) => resumed_config(ck)?,
        (None, Some(p)) => RunConfig::from_file(p)?,
        (None, None) => RunConfig::default(),
    };
    apply_data(&mut c, a)?;
    apply_model(&mut c, a)?;
    apply_optimizer(&mut c, a)?;
    apply_training(&mut c, a)?;
    Ok(c)
}

fn resumed_config(path: &Path) -> Result<RunConfig> {
    let ck = load_checkpoint::<f32>(path)?;
    let value = ck.run_config.ok_or_else(|| Error::Checkpoint {
        path: path.to_path_buf(),
        message: "holds no run configuration (was it written by `downhill train`?)".into(),
    })?;
    serde_json::from_value(value).map_err(|e| Error::Checkpoint {
        path: path.to_path_buf(),
        message: format!("bad run configuration: {e}"),
    })
}

fn apply_data(c: &mut RunConfig, a: &TrainArgs) -> Result<()> {
    let d = &mut c.data;
    if let Some(s) = &a.data {
        d.source = s.clone();
    }
    if a.labels.is_some() {
        d.labels = a.labels.clone();
    }
    if let Some(v) = a.val_fraction {
        d.val_fraction = v;
    }
    if let Some(n) = &a.normalize {
        d.normalize =
            parse_enum::<Normalize>("normalize", n, "standard, min_max, pca_whitening, none")?;
    }
    Ok(())
}

fn apply_model(c: &mut RunConfig, a: &TrainArgs) -> Result<()> {
    let m = &mut c.model;
    if let Some(h) = &a.hidden {
        m.hidden = h.clone();
    }
    if let Some(s) = &a.activation {
        m.activation = Activation::from_name(s)?;
    }
    if let Some(s) = &a.init {
        m.init = Some(
            s.parse()
                .map_err(|e: downhill::init::InitError| Error::config("init", e.to_string()))?,
        );
    }
    m.batch_norm |= a.batch_norm;
    m.layer_norm |= a.layer_norm;
    if let Some(p) = a.dropout {
        m.dropout = p;
    }
    if let Some(s) = a.input_noise {
        m.input_noise = s;
    }
    Ok(())
}

fn apply_optimizer(c: &mut RunConfig, a: &TrainArgs) -> Result<()> {
    let t = &mut c.train;
    if let Some(o) = &a.optimizer {
        t.optimizer = o.clone();
    }
    let h = &mut t.hyper;
    h.lr = a.lr.or(h.lr);
    h.momentum = a.momentum.or(h.momentum);
    h.dampening = a.dampening.or(h.dampening);
    h.weight_decay = a.weight_decay.or(h.weight_decay);
    h.eps = a.eps.or(h.eps);
    h.alpha = a.alpha.or(h.alpha);
    h.rho = a.rho.or(h.rho);
    if a.nesterov {
        h.nesterov = Some(true);
    }
    if a.amsgrad {
        h.amsgrad = Some(true);
    }
    if a.centered {
        h.centered = Some(true);
    }
    if let Some(b) = &a.betas {
        match b[..] {
            [b1, b2] => h.betas = Some((b1, b2)),
            _ => {
                return Err(Error::config(
                    "betas",
                    format!("expected two values like 0.9,0.999, got {b:?}"),
                ));
            }
        }
    }
    Ok(())
}

fn apply_training(c: &mut RunConfig, a: &TrainArgs) -> Result<()> {
    let t = &mut c.train;
    t.epochs = a.epochs.unwrap_or(t.epochs);
    t.batch_size = a.batch_size.unwrap_or(t.batch_size);
    t.seed = a.seed.unwrap_or(t.seed);
    t.clip_grad_norm = a.clip_grad_norm.or(t.clip_grad_norm);
    t.max_norm = a.max_norm.or(t.max_norm);
    if a.quiet {
        t.progress = false;
    }
    if a.skip_nonfinite {
        t.nan_policy = NanPolicy::SkipStep;
    }
    if let Some(l) = &a.loss {
        t.loss = Loss::from_name(l)?;
    }
    if let Some(ls) = a.label_smoothing {
        t.loss = match t.loss {
            Loss::CrossEntropy { .. } => Loss::CrossEntropy {
                label_smoothing: ls,
            },
            _ => {
                return Err(Error::config(
                    "label_smoothing",
                    "applies to the cross_entropy loss only",
                ));
            }
        };
    }
    if let Some(p) = &a.penalty {
        t.penalty = Some(parse_penalty(p)?);
    }
    if let Some(list) = &a.augment {
        t.augmentation = list
            .iter()
            .map(|n| Augmentation::by_name(n).map_err(Error::from))
            .collect::<Result<_>>()?;
    }
    if let Some(patience) = a.early_stopping {
        t.early_stopping = Some(EarlyStoppingConfig {
            patience,
            ..EarlyStoppingConfig::default()
        });
    }
    if let Some(s) = &a.schedule {
        let per_epoch = steps_per_epoch(&c.data, t.batch_size)?;
        let lr = t.hyper.lr.unwrap_or(1e-3);
        let (sched, per) = parse_schedule(s, t.epochs as u64, per_epoch, lr)?;
        t.schedule = Some(sched);
        t.schedule_per = per;
    }
    Ok(())
}

fn parse_enum<T: serde::de::DeserializeOwned>(field: &str, value: &str, valid: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(value.to_string()))
        .map_err(|_| Error::config(field, format!("unknown {value:?}; expected one of {valid}")))
}

fn parse_penalty(s: &str) -> Result<Penalty> {
    let bad = || {
        Error::config(
            "penalty",
            format!("{s:?}: expected l2:LAMBDA, l1:LAMBDA or elastic:L1,L2"),
        )
    };
    let (kind, rest) = s.split_once(':').ok_or_else(bad)?;
    let nums: Vec<f64> = rest
        .split(',')
        .map(|x| x.trim().parse::<f64>().map_err(|_| bad()))
        .collect::<Result<_>>()?;
    Ok(match (kind, &nums[..]) {
        ("l2", [l]) => Penalty::l2(*l)?,
        ("l1", [l]) => Penalty::l1(*l)?,
        ("elastic" | "elastic_net", [a, b]) => Penalty::elastic_net(*a, *b)?,
        _ => return Err(bad()),
    })
}

/// Batches per epoch of the training split (the split rounds each class's held-out count).
fn steps_per_epoch(d: &DataConfig, batch_size: usize) -> Result<u64> {
    if batch_size == 0 {
        return Err(Error::config("batch_size", "must be at least 1"));
    }
    let data = load_data(d)?;
    let counts = if d.stratified {
        data.class_counts()
    } else {
        vec![data.len()]
    };
    let train: usize = counts
        .iter()
        .map(|&n| n - (n as f64 * d.val_fraction).round() as usize)
        .sum();
    Ok(train.div_ceil(batch_size) as u64)
}

fn parse_schedule(
    s: &str,
    epochs: u64,
    per_epoch: u64,
    lr: f64,
) -> Result<(ScheduleConfig, SchedulePer)> {
    use SchedulePer::{Epoch, Step};
    let e = epochs.max(1);
    let json = match s {
        "step" => format!(
            r#"{{"name": "steplr", "step_size": {}, "gamma": 0.1}}"#,
            (e / 3).max(1)
        ),
        "multistep" => format!(
            r#"{{"name": "multisteplr", "milestones": [{}, {}], "gamma": 0.1}}"#,
            e / 2,
            3 * e / 4
        ),
        "exponential" => r#"{"name": "exponentiallr", "gamma": 0.95}"#.to_string(),
        "cosine" => format!(r#"{{"name": "cosineannealinglr", "t_max": {e}}}"#),
        "warm_restarts" => format!(
            r#"{{"name": "cosineannealingwarmrestarts", "t_0": {}}}"#,
            (e / 4).max(1)
        ),
        "warmup" => r#"{"name": "linearlr", "start_factor": 0.1, "total_iters": 5}"#.to_string(),
        "plateau" => r#"{"name": "reducelronplateau", "mode": "min"}"#.to_string(),
        "onecycle" => {
            let json = format!(
                r#"{{"name": "onecyclelr", "max_lr": [{}], "total_steps": {}}}"#,
                lr * 10.0,
                e * per_epoch
            );
            return Ok((parse_schedule_json(&json)?, Step));
        }
        other if other.trim_start().starts_with('{') => other.to_string(),
        other => {
            return Err(Error::config(
                "schedule",
                format!(
                    "unknown {other:?}; expected step, multistep, exponential, cosine, warm_restarts, warmup, onecycle, plateau or a JSON ScheduleConfig"
                ),
            ));
        }
    };
    let cfg = parse_schedule_json(&json)?;
    let per = if matches!(cfg, ScheduleConfig::OneCycleLr { .. }) {
        Step
    } else {
        Epoch
    };
    Ok((cfg, per))
}

fn parse_schedule_json(json: &str) -> Result<ScheduleConfig> {
    serde_json::from_str(json).map_err(|e| Error::config("schedule", format!("{json}: {e}")))
}

/// Loads evaluation data and applies the checkpoint's input normalization.
fn eval_data(
    data: &str,
    labels: Option<&Path>,
    standardizer: Option<&downhill::norm::Standardizer>,
) -> Result<Dataset<f32>> {
    let cfg = DataConfig {
        source: data.to_string(),
        labels: labels.map(Path::to_path_buf),
        ..DataConfig::default()
    };
    let mut ds = load_data(&cfg)?;
    if let Some(s) = standardizer {
        *ds.features_mut() = s.transform(ds.features())?;
    }
    Ok(ds)
}

fn eval(a: EvalArgs) -> Result<()> {
    let mut ck = load_checkpoint::<f32>(&a.checkpoint)?;
    let ds = eval_data(&a.data, a.labels.as_deref(), ck.standardizer.as_ref())?;
    let loss = ck
        .trainer
        .as_ref()
        .map(|t| t.config().loss)
        .unwrap_or_default();
    let ev = downhill::evaluate(&mut ck.net, &ds, &loss)?;
    let mut rng = downhill::DefaultRng::seed_from_u64(0);
    let scores = ck.net.predict(ds.features(), &mut rng)?;
    let topk = top_k_accuracy(&scores, ds.labels(), a.top_k)?;
    let cm = ConfusionMatrix::from_scores(&scores, ds.labels())?;
    debug_assert!((accuracy(&scores, ds.labels())? - ev.accuracy).abs() < 1e-12);
    if a.json {
        let v = serde_json::json!({"rows": ds.len(), "loss": ev.loss, "accuracy": ev.accuracy, "top_k": a.top_k, "top_k_accuracy": topk, "confusion_matrix": cm.counts});
        println!("{v}");
    } else {
        println!(
            "rows {}  loss {:.4}  accuracy {:.4}  top-{} accuracy {:.4}",
            ds.len(),
            ev.loss,
            ev.accuracy,
            a.top_k,
            topk
        );
        println!("confusion matrix (rows: true class, columns: predicted):");
        for row in &cm.counts {
            println!(
                "  {}",
                row.iter().map(|c| format!("{c:5}")).collect::<String>()
            );
        }
    }
    Ok(())
}

fn predict(a: PredictArgs) -> Result<()> {
    let mut ck = load_checkpoint::<f32>(&a.checkpoint)?;
    let bytes = std::fs::read(&a.input).map_err(|e| Error::io(&a.input, e))?;
    let x = parse_feature_rows(
        &bytes,
        &a.input.display().to_string(),
        ck.net.input_features(),
    )?;
    let x = match &ck.standardizer {
        Some(s) => s.transform(&x)?,
        None => x,
    };
    let mut rng = downhill::DefaultRng::seed_from_u64(0);
    let probs = ck.net.predict_proba(&x, &mut rng)?;
    let classes = probs.shape()[1];
    let mut out = String::from("row,predicted");
    (0..classes).for_each(|c| out += &format!(",p_{c}"));
    out.push('\n');
    for (i, row) in probs.as_slice().chunks_exact(classes).enumerate() {
        let best = row
            .iter()
            .enumerate()
            .fold(0, |b, (j, &p)| if p > row[b] { j } else { b });
        out += &format!("{i},{best}");
        row.iter().for_each(|p| out += &format!(",{p}"));
        out.push('\n');
    }
    match &a.output {
        Some(p) => downhill::write_atomic(p, out.as_bytes())?,
        None => print!("{out}"),
    }
    Ok(())
}

/// Reads feature-only CSV rows (a header row is skipped) with exactly `width` numbers each.
fn parse_feature_rows(bytes: &[u8], name: &str, width: usize) -> Result<Tensor<f32>> {
    // A dummy label column lets the CSV loader do the parsing and error reporting.
    let text = String::from_utf8_lossy(bytes);
    let with_label: String = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("{l},0\n"))
        .collect();
    let ds = downhill::data::parse_csv::<f32>(with_label.as_bytes(), name, &CsvOptions::default())?;
    if ds.num_features() != width {
        return Err(Error::Data(format!(
            "{name}: rows have {} features, the network takes {width}",
            ds.num_features()
        )));
    }
    Ok(ds.features().clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schedule_shorthand_parses_and_builds() {
        for name in [
            "step",
            "multistep",
            "exponential",
            "cosine",
            "warm_restarts",
            "warmup",
            "onecycle",
            "plateau",
        ] {
            let (cfg, per) =
                parse_schedule(name, 20, 10, 1e-3).unwrap_or_else(|e| panic!("{name}: {e}"));
            let mut opt =
                downhill::optim::by_name::<f32>("adam", &downhill::optim::Hyper::default())
                    .expect("adam");
            cfg.build(opt.as_mut())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(per == SchedulePer::Step, name == "onecycle", "{name}");
        }
        assert!(
            parse_schedule("cosnie", 20, 10, 1e-3)
                .unwrap_err()
                .to_string()
                .contains("cosine")
        );
    }

    #[test]
    fn penalties_parse_and_reject_malformed_values() {
        assert_eq!(
            parse_penalty("l2:0.001").expect("l2"),
            Penalty::l2(0.001).expect("valid")
        );
        assert_eq!(
            parse_penalty("elastic:1e-4,1e-3").expect("elastic"),
            Penalty::elastic_net(1e-4, 1e-3).expect("valid")
        );
        for bad in ["l2", "l2:x", "l3:1", "l1:-1", "elastic:1"] {
            assert!(parse_penalty(bad).is_err(), "{bad}");
        }
    }
}
