//! Reliability guarantees of the `downhill` command: bit-identical reruns, exact resume, and
//! checkpoints that survive SIGKILL at any moment.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use downhill::checkpoint::load_checkpoint;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_downhill"))
}

fn train(out: &Path, extra: &[&str]) -> Output {
    train_seed(out, "3", extra)
}

fn train_seed(out: &Path, seed: &str, extra: &[&str]) -> Output {
    let out_s = out.to_str().expect("utf-8 path");
    let mut args = vec![
        "train", "--data", "iris", "--hidden", "16", "--quiet", "--seed", seed, "--out", out_s,
    ];
    args.extend_from_slice(extra);
    let o = bin().args(&args).output().expect("the binary runs");
    assert!(
        o.status.success(),
        "downhill {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// The parameters and buffers of a checkpoint, by name.
fn weights(path: &Path) -> Vec<(String, Vec<f32>)> {
    let ck = load_checkpoint::<f32>(path).expect("checkpoint loads");
    let mut w: Vec<(String, Vec<f32>)> = ck
        .net
        .params()
        .iter()
        .map(|p| (p.name.clone(), p.value.as_slice().to_vec()))
        .collect();
    w.extend(
        ck.net
            .buffers()
            .into_iter()
            .map(|(n, t)| (n, t.as_slice().to_vec())),
    );
    w
}

/// The history without wall-clock times (the only field allowed to differ).
fn history(dir: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join("history.jsonl")).expect("history written");
    text.lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).expect("json line");
            v.as_object_mut().expect("object").remove("wall_time_s");
            v
        })
        .collect()
}

fn bits(w: &[(String, Vec<f32>)]) -> Vec<(String, Vec<u32>)> {
    w.iter()
        .map(|(n, v)| (n.clone(), v.iter().map(|x| x.to_bits()).collect()))
        .collect()
}

#[test]
fn same_seed_gives_bit_identical_weights_and_history() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    train(&a, &["--epochs", "4", "--batch-norm", "--dropout", "0.1"]);
    train(&b, &["--epochs", "4", "--batch-norm", "--dropout", "0.1"]);
    assert_eq!(
        bits(&weights(&a.join("checkpoint.safetensors"))),
        bits(&weights(&b.join("checkpoint.safetensors")))
    );
    assert_eq!(history(&a), history(&b));
    let c = dir.path().join("c");
    train_seed(
        &c,
        "4",
        &["--epochs", "4", "--batch-norm", "--dropout", "0.1"],
    );
    assert_ne!(
        bits(&weights(&a.join("checkpoint.safetensors"))),
        bits(&weights(&c.join("checkpoint.safetensors"))),
        "another seed must change the weights"
    );
}

#[test]
fn matmul_thread_count_does_not_change_results() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |threads: &str, out: &PathBuf| {
        let o = bin()
            .env("MATMUL_NUM_THREADS", threads)
            .args([
                "train",
                "--data",
                "digits",
                "--hidden",
                "64",
                "--epochs",
                "2",
                "--quiet",
                "--out",
                out.to_str().expect("utf-8"),
            ])
            .output()
            .expect("runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let (one, four) = (dir.path().join("t1"), dir.path().join("t4"));
    run("1", &one);
    run("4", &four);
    assert_eq!(
        bits(&weights(&one.join("checkpoint.safetensors"))),
        bits(&weights(&four.join("checkpoint.safetensors")))
    );
}

#[test]
fn resume_equals_an_uninterrupted_run_bit_for_bit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (full, first, second) = (
        dir.path().join("full"),
        dir.path().join("first"),
        dir.path().join("second"),
    );
    // An explicit schedule: its horizon must not depend on --epochs, which resuming changes.
    let sched = r#"{"name": "steplr", "step_size": 2, "gamma": 0.5}"#;
    let common = [
        "--batch-norm",
        "--dropout",
        "0.1",
        "--optimizer",
        "adam",
        "--schedule",
        sched,
    ];
    let with = |epochs: &'static str| [&common[..], &["--epochs", epochs]].concat();
    train(&full, &with("6"));
    train(&first, &with("3"));
    let ck = first.join("checkpoint.safetensors");
    let o = bin()
        .args([
            "train",
            "--quiet",
            "--epochs",
            "6",
            "--out",
            second.to_str().expect("utf-8"),
            "--resume",
            ck.to_str().expect("utf-8"),
        ])
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        bits(&weights(&full.join("checkpoint.safetensors"))),
        bits(&weights(&second.join("checkpoint.safetensors")))
    );
    assert_eq!(history(&full), history(&second));
}

#[test]
fn sigkill_while_checkpointing_never_leaves_an_unreadable_checkpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("run");
    let ck = out.join("checkpoint.safetensors");
    let mut survived = 0;
    // Kill times spread over the run; a fixed list keeps the test reproducible.
    for (i, ms) in [150u64, 230, 310, 90, 400, 270, 180, 350, 120, 290]
        .iter()
        .enumerate()
    {
        let mut child = bin()
            .args([
                "train", "--data", "digits", "--hidden", "32", "--epochs", "100000", "--quiet",
                "--seed",
            ])
            .arg(i.to_string())
            .args(["--out", out.to_str().expect("utf-8")])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawns");
        std::thread::sleep(Duration::from_millis(*ms));
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        if ck.exists() {
            load_checkpoint::<f32>(&ck).unwrap_or_else(|e| {
                panic!("after kill {i} at {ms} ms the checkpoint is unreadable: {e}")
            });
            survived += 1;
        }
    }
    assert!(
        survived >= 5,
        "too few kills happened after the first checkpoint ({survived}); the test did not exercise writes"
    );
}
