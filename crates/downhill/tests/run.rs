//! The run pipeline (`downhill::run`): prepare validates without writing, execute writes every
//! artifact, resuming extends a run; and the project's goal on the bundled digits.

use std::path::Path;

use downhill::checkpoint::load_checkpoint;
use downhill::run::{DataConfig, ModelConfig, Normalize, RunConfig, Summary, execute, prepare};
use downhill::{Error, TrainConfig};

fn iris(epochs: usize) -> RunConfig {
    RunConfig {
        data: DataConfig {
            source: "iris".into(),
            ..DataConfig::default()
        },
        model: ModelConfig {
            hidden: vec![16],
            batch_norm: true,
            dropout: 0.1,
            ..ModelConfig::default()
        },
        train: TrainConfig {
            epochs,
            progress: false,
            ..TrainConfig::default()
        },
    }
}

#[test]
fn execute_writes_every_artifact_and_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let p = prepare(iris(3), None).unwrap();
    assert_eq!((p.train.len(), p.val.len()), (120, 30));
    assert!(!out.exists(), "prepare writes nothing");
    let s = execute(p, &out).unwrap();
    for f in [
        "history.jsonl",
        "history.csv",
        "loss.svg",
        "accuracy.svg",
        "lr.svg",
        "checkpoint.safetensors",
        "summary.json",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let text = std::fs::read_to_string(out.join("summary.json")).unwrap();
    let back: Summary = serde_json::from_str(&text).unwrap();
    assert_eq!(back.config, s.config);
    assert_eq!(back.config, iris(3), "the full resolved config");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    for key in [
        "final_val_accuracy",
        "best_val_accuracy",
        "final_val_loss",
        "epochs",
        "seed",
        "config",
    ] {
        assert!(v.get(key).is_some(), "summary lacks {key}");
    }
    assert_eq!(s.epochs, 3);
    assert!(s.best_val_accuracy >= s.final_val_accuracy);
    let ck = load_checkpoint::<f32>(&out.join("checkpoint.safetensors")).unwrap();
    assert!(
        ck.standardizer.is_some(),
        "the input normalization is saved"
    );
    assert_eq!(ck.trainer.unwrap().epoch(), 3);
    assert!(
        std::fs::read_to_string(out.join("loss.svg"))
            .unwrap()
            .contains("<svg")
    );
}

#[test]
fn resuming_extends_the_run_to_the_same_result() {
    let dir = tempfile::tempdir().unwrap();
    let full = execute(prepare(iris(4), None).unwrap(), &dir.path().join("full")).unwrap();
    execute(prepare(iris(2), None).unwrap(), &dir.path().join("a")).unwrap();
    let ck = dir.path().join("a/checkpoint.safetensors");
    let resumed = execute(prepare(iris(4), Some(&ck)).unwrap(), &dir.path().join("b")).unwrap();
    assert_eq!(resumed.epochs, 4);
    assert_eq!(resumed.final_val_loss, full.final_val_loss);
    assert_eq!(resumed.final_val_accuracy, full.final_val_accuracy);
    // A checkpoint of another architecture is refused.
    let mut other = iris(4);
    other.model.hidden = vec![8];
    let e = prepare(other, Some(&ck)).unwrap_err().to_string();
    assert!(e.contains("differs"), "{e}");
}

#[test]
fn prepare_rejects_bad_configs_by_name() {
    let mut c = iris(1);
    c.model.hidden = vec![16, 0];
    assert!(prepare(c, None).unwrap_err().to_string().contains("hidden"));
    let mut c = iris(1);
    c.data.val_fraction = 1.0;
    assert!(
        prepare(c, None)
            .unwrap_err()
            .to_string()
            .contains("val_fraction")
    );
    let mut c = iris(1);
    c.data.source = "no/such/file.csv".into();
    let e = prepare(c, None).unwrap_err();
    assert!(matches!(e, Error::Config { .. }) && e.to_string().contains("no/such/file.csv"));
    let mut c = iris(1);
    c.model.dropout = 1.0;
    assert!(
        prepare(c, None)
            .unwrap_err()
            .to_string()
            .contains("dropout")
    );
    let mut c = iris(1);
    c.train.optimizer = "adamz".into();
    assert!(prepare(c, None).unwrap_err().to_string().contains("adamz"));
}

#[test]
fn csv_source_and_config_files() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("pts.csv");
    let mut text = String::from("a,b,label\n");
    for i in 0..40 {
        let y = i % 2;
        text += &format!(
            "{},{},{}\n",
            i as f64 * 0.1,
            y as f64 * 3.0 - 1.5,
            ["no", "yes"][y]
        );
    }
    std::fs::write(&csv, text).unwrap();
    let toml = dir.path().join("run.toml");
    std::fs::write(
        &toml,
        format!(
            "[data]\nsource = {:?}\nnormalize = \"min_max\"\n[model]\nhidden = [4]\n[train]\nepochs = 2\nprogress = false\n",
            csv.display().to_string()
        ),
    )
    .unwrap();
    let c = RunConfig::from_file(&toml).unwrap();
    assert_eq!(c.data.normalize, Normalize::MinMax);
    let s = execute(prepare(c, None).unwrap(), &dir.path().join("o")).unwrap();
    assert_eq!(s.epochs, 2);
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"train\": {\"epochz\": 3}}").unwrap();
    let e = RunConfig::from_file(&bad).unwrap_err().to_string();
    assert!(e.contains("bad.json") && e.contains("epochz"), "{e}");
    assert!(RunConfig::from_file(Path::new("/no/such.toml")).is_err());
}

/// The project's goal: `downhill train --data digits` with default settings reaches ≥ 98.5%
/// mean validation accuracy over seeds 0, 1 and 2.
#[test]
fn digits_defaults_reach_the_goal() {
    let start = std::time::Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let accs: Vec<f64> = (0..3)
        .map(|seed| {
            let mut c = RunConfig::default();
            c.train.seed = seed;
            c.train.progress = false;
            let out = dir.path().join(format!("seed{seed}"));
            execute(prepare(c, None).unwrap(), &out)
                .unwrap()
                .final_val_accuracy
        })
        .collect();
    let mean = accs.iter().sum::<f64>() / 3.0;
    eprintln!(
        "digits: {accs:?}, mean {mean:.4}, {:.1} s",
        start.elapsed().as_secs_f64()
    );
    assert!(
        mean >= 0.985,
        "mean validation accuracy {mean} over seeds 0..3: {accs:?}"
    );
}
