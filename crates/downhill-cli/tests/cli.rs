//! The `downhill` binary end to end: train, eval, predict, help, and argument errors.

use std::path::Path;
use std::process::{Command, Output};

fn downhill(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_downhill"))
        .args(args)
        .output()
        .expect("run downhill")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(args: &[&str]) -> Output {
    let o = downhill(args);
    assert!(
        o.status.success(),
        "downhill {args:?} failed\nstdout: {}\nstderr: {}",
        text(&o.stdout),
        text(&o.stderr)
    );
    o
}

/// Trains on iris for two epochs into `out` (plus `extra` flags).
fn train_iris(out: &Path, extra: &[&str]) -> Output {
    let out = out.to_str().unwrap();
    let mut args = vec![
        "train", "--data", "iris", "--epochs", "2", "--hidden", "8", "--quiet", "--out", out,
    ];
    args.extend_from_slice(extra);
    ok(&args)
}

#[test]
fn help_on_every_command() {
    for args in [
        &["--help"][..],
        &["train", "--help"],
        &["eval", "--help"],
        &["predict", "--help"],
    ] {
        let o = ok(args);
        let s = text(&o.stdout);
        assert!(s.contains("Usage"), "{args:?}: {s}");
    }
    let s = text(&ok(&["train", "--help"]).stdout);
    for flag in [
        "--data",
        "--optimizer",
        "--lr",
        "--schedule",
        "--penalty",
        "--resume",
    ] {
        assert!(s.contains(flag), "train --help lacks {flag}");
    }
    let o = downhill(&["frobnicate"]);
    assert!(!o.status.success());
}

#[test]
fn train_writes_history_plots_checkpoint_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("iris");
    let o = train_iris(
        &out,
        &["--seed", "3", "--optimizer", "sgd", "--momentum", "0.9"],
    );
    assert!(text(&o.stdout).contains("final validation accuracy"));
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
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    for key in [
        "final_val_accuracy",
        "best_val_accuracy",
        "final_val_loss",
        "epochs",
        "seed",
    ] {
        assert!(s.get(key).is_some(), "summary lacks {key}");
    }
    assert_eq!(s["epochs"], 2);
    assert_eq!(s["seed"], 3);
    assert_eq!(s["config"]["train"]["optimizer"], "sgd");
    assert_eq!(s["config"]["train"]["hyper"]["momentum"], 0.9);
    assert_eq!(s["config"]["model"]["hidden"], serde_json::json!([8]));
    assert_eq!(s["config"]["data"]["source"], "iris");
    let jsonl = std::fs::read_to_string(out.join("history.jsonl")).unwrap();
    assert_eq!(jsonl.lines().count(), 2);
}

#[test]
fn many_flags_and_every_schedule_shortcut_train() {
    let dir = tempfile::tempdir().unwrap();
    for (i, sched) in [
        "step",
        "multistep",
        "exponential",
        "cosine",
        "warm_restarts",
        "warmup",
        "onecycle",
        "plateau",
    ]
    .iter()
    .enumerate()
    {
        train_iris(&dir.path().join(format!("s{i}")), &["--schedule", sched]);
    }
    train_iris(
        &dir.path().join("flags"),
        &[
            "--batch-norm",
            "--dropout",
            "0.1",
            "--activation",
            "tanh",
            "--init",
            "he_normal",
            "--optimizer",
            "adamw",
            "--lr",
            "0.01",
            "--betas",
            "0.8,0.99",
            "--weight-decay",
            "0.01",
            "--clip-grad-norm",
            "1.0",
            "--penalty",
            "elastic:0.001,0.001",
            "--max-norm",
            "3",
            "--label-smoothing",
            "0.0",
            "--normalize",
            "min_max",
            "--val-fraction",
            "0.3",
            "--early-stopping",
            "5",
            "--skip-nonfinite",
        ],
    );
    train_iris(&dir.path().join("hinge"), &["--loss", "multi_hinge"]);
    ok(&[
        "train",
        "--data",
        "digits",
        "--epochs",
        "1",
        "--hidden",
        "16",
        "--augment",
        "translate,gaussian_noise",
        "--quiet",
        "--out",
        dir.path().join("aug").to_str().unwrap(),
    ]);
}

#[test]
fn eval_and_predict_use_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    train_iris(&out, &[]);
    let ck = out.join("checkpoint.safetensors");
    let ck = ck.to_str().unwrap();
    let o = ok(&[
        "eval",
        "--checkpoint",
        ck,
        "--data",
        "iris",
        "--json",
        "--top-k",
        "2",
    ]);
    let v: serde_json::Value = serde_json::from_str(text(&o.stdout).trim()).unwrap();
    assert_eq!(v["rows"], 150);
    assert_eq!(v["top_k"], 2);
    let acc = v["accuracy"].as_f64().unwrap();
    assert!(v["top_k_accuracy"].as_f64().unwrap() >= acc);
    let cm = v["confusion_matrix"].as_array().unwrap();
    assert_eq!(cm.len(), 3);
    let total: u64 = cm
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|c| c.as_u64().unwrap())
        .sum();
    assert_eq!(total, 150);
    let o = ok(&["eval", "--checkpoint", ck, "--data", "iris"]);
    assert!(text(&o.stdout).contains("confusion matrix"));

    let input = dir.path().join("rows.csv");
    std::fs::write(
        &input,
        "sepal_l,sepal_w,petal_l,petal_w\n5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n",
    )
    .unwrap();
    let preds = dir.path().join("preds.csv");
    ok(&[
        "predict",
        "--checkpoint",
        ck,
        "--input",
        input.to_str().unwrap(),
        "--output",
        preds.to_str().unwrap(),
    ]);
    let p = std::fs::read_to_string(&preds).unwrap();
    let lines: Vec<&str> = p.lines().collect();
    assert_eq!(lines[0], "row,predicted,p_0,p_1,p_2");
    assert_eq!(lines.len(), 3);
    for l in &lines[1..] {
        let probs: f64 = l
            .split(',')
            .skip(2)
            .map(|x| x.parse::<f64>().unwrap())
            .sum();
        assert!((probs - 1.0).abs() < 1e-5, "{l}");
    }
    let o = ok(&[
        "predict",
        "--checkpoint",
        ck,
        "--input",
        input.to_str().unwrap(),
    ]);
    assert_eq!(text(&o.stdout), p, "stdout by default");

    let wide = dir.path().join("wide.csv");
    std::fs::write(&wide, "1,2,3\n4,5,6\n").unwrap();
    let o = downhill(&[
        "predict",
        "--checkpoint",
        ck,
        "--input",
        wide.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("3 features"),
        "{}",
        text(&o.stderr)
    );
    let o = downhill(&[
        "eval",
        "--checkpoint",
        "/no/such.safetensors",
        "--data",
        "iris",
    ]);
    assert!(!o.status.success() && text(&o.stderr).contains("/no/such.safetensors"));
}

#[test]
fn resume_continues_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    train_iris(&a, &[]);
    let ck = a.join("checkpoint.safetensors");
    let b = dir.path().join("b");
    ok(&[
        "train",
        "--data",
        "iris",
        "--epochs",
        "4",
        "--hidden",
        "8",
        "--quiet",
        "--resume",
        ck.to_str().unwrap(),
        "--out",
        b.to_str().unwrap(),
    ]);
    let full = dir.path().join("full");
    ok(&[
        "train",
        "--data",
        "iris",
        "--epochs",
        "4",
        "--hidden",
        "8",
        "--quiet",
        "--out",
        full.to_str().unwrap(),
    ]);
    let read = |d: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(d.join("summary.json")).unwrap()).unwrap()
    };
    assert_eq!(read(&b)["epochs"], 4);
    assert_eq!(read(&b)["final_val_loss"], read(&full)["final_val_loss"]);
}

#[test]
fn bad_arguments_fail_clearly_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 12] = [
        (&["--lr", "-0.1"], "lr"),
        (&["--optimizer", "adamz"], "adamz"),
        (&["--betas", "0.9,1.0"], "beta"),
        (&["--betas", "-0.1,0.9"], "beta"),
        (&["--betas", "0.9"], "betas"),
        (&["--data", "no/such/file.csv"], "no/such/file.csv"),
        (&["--hidden", "16,0"], "hidden"),
        (&["--schedule", "sometimes"], "schedule"),
        (&["--penalty", "l3:0.1"], "penalty"),
        (&["--penalty", "l2:-1"], "penalty"),
        (&["--dropout", "1.5"], "dropout"),
        (&["--normalize", "zscore"], "normalize"),
    ];
    for (i, (flags, needle)) in cases.iter().enumerate() {
        let out = dir.path().join(format!("case{i}"));
        let mut args = vec!["train", "--epochs", "2", "--quiet"];
        if !flags.contains(&"--data") {
            args.extend_from_slice(&["--data", "iris"]);
        }
        args.extend_from_slice(flags);
        args.extend_from_slice(&["--out", out.to_str().unwrap()]);
        let o = downhill(&args);
        let err = text(&o.stderr);
        assert!(!o.status.success(), "{flags:?} succeeded");
        assert!(
            err.contains(needle),
            "{flags:?}: stderr {err:?} lacks {needle:?}"
        );
        assert!(!out.exists(), "{flags:?} created the output directory");
    }
    // Errors clap catches (wrong types) also exit non-zero and write nothing.
    let out = dir.path().join("clap");
    let o = downhill(&["train", "--epochs", "two", "--out", out.to_str().unwrap()]);
    assert!(!o.status.success() && text(&o.stderr).contains("--epochs"));
    assert!(!out.exists());
}

#[test]
fn l2o_train_with_oscillation_features_and_a_warm_start() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("l2o");
    let shipped = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../assets/l2o/weights.safetensors"
    );
    let tiny = [
        "--iterations",
        "1",
        "--pairs",
        "1",
        "--tasks",
        "2",
        "--unroll",
        "5",
        "--validate-every",
        "0",
        "--oscillation-features",
    ];
    let mut args = vec!["l2o", "train", "--out", out.to_str().unwrap()];
    args.extend_from_slice(&tiny);
    args.extend_from_slice(&["--init-weights", shipped]);
    ok(&args);
    let weights = std::fs::read(out.join("weights.safetensors")).unwrap();
    assert!(text(&weights).contains("mlp 24-32-32-5"));
    let record = std::fs::read_to_string(out.join("train.json")).unwrap();
    assert!(record.contains("\"init_weights\"") && record.contains("weights.safetensors"));
    assert!(record.contains("\"oscillation_features\": true"));
    // A missing warm-start file: an error naming it, and nothing written.
    let fresh = dir.path().join("fresh");
    let mut args = vec!["l2o", "train", "--out", fresh.to_str().unwrap()];
    args.extend_from_slice(&tiny);
    args.extend_from_slice(&["--init-weights", "/no/such/start.safetensors"]);
    let o = downhill(&args);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("/no/such/start.safetensors"),
        "{}",
        text(&o.stderr)
    );
    assert!(!fresh.join("weights.safetensors").exists());
}

/// `downhill l2o train` on iris for one iteration with `extra` arguments, into a fresh
/// directory: it must fail with every one of `names` in its error and write no weights.
/// Returns the temporary directory that holds the output directory `l2o`.
fn l2o_train_on_iris_fails_naming(extra: &[&str], names: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("l2o");
    let mut args = vec![
        "l2o",
        "train",
        "--out",
        out.to_str().unwrap(),
        "--iterations",
        "1",
        "--real-data",
        "iris",
    ];
    args.extend_from_slice(extra);
    let o = downhill(&args);
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert!(names.iter().all(|n| err.contains(n)), "{err}");
    assert!(!out.join("weights.safetensors").exists());
    dir
}

#[test]
fn l2o_train_rejects_a_bad_real_weight_by_name() {
    l2o_train_on_iris_fails_naming(&["--real-weight", "0"], &["real_weight"]);
}

#[test]
fn l2o_train_rejects_real_set_weights_that_do_not_match_the_sets_by_name() {
    l2o_train_on_iris_fails_naming(
        &["--real-set-weights", "3,1"],
        &["real_set_weights", "2 weights for 1 real data sets"],
    );
}

#[test]
fn l2o_train_rejects_a_bad_anchor_decay_by_name() {
    l2o_train_on_iris_fails_naming(&["--anchor-decay", "0"], &["anchor_decay"]);
}

#[test]
fn l2o_train_rejects_unknown_real_kinds_by_name() {
    let dir = l2o_train_on_iris_fails_naming(
        &["--real-kinds", "per-dataset"],
        &["--real-kinds", "per-dataset", "per-set"],
    );
    // Rejected while parsing the arguments: not even the output directory is made.
    assert!(!dir.path().join("l2o").exists());
}
