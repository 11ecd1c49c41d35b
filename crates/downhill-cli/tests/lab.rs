//! `downhill lab` on tiny budgets: the report and the JSON are complete and well formed (the
//! claims themselves are not checked here — tiny budgets make the numbers meaningless).

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// The experiments the lab must run, in order.
const NAMES: [&str; 9] = [
    "nonlinearities",
    "surfaces",
    "digits-optimizers",
    "learning-rate",
    "normalization",
    "initialization",
    "batchnorm",
    "regularization",
    "learned-optimizer",
];

fn lab(out: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_downhill"))
        .args(["lab", "--budget", "tiny", "--out"])
        .arg(out)
        .args(extra)
        .output()
        .expect("the downhill binary runs")
}

fn results(out: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(out.join("results.json")).expect("results.json");
    serde_json::from_str::<Value>(&text)
        .expect("valid JSON")
        .as_array()
        .expect("an array")
        .clone()
}

/// Every field the issue asks for is present, typed, and non-empty where it must be.
fn check_entry(e: &Value, out: &Path, html: &str) {
    let name = e["name"].as_str().expect("name");
    for key in ["title", "claim", "verdict_text"] {
        assert!(
            e[key].as_str().is_some_and(|s| !s.is_empty()),
            "{name}: {key} missing or empty"
        );
    }
    assert!(
        e["measurements"].as_object().is_some_and(|m| !m.is_empty()),
        "{name}: measurements"
    );
    assert!(e["config"].is_object(), "{name}: config");
    assert!(e["seeds"].is_array(), "{name}: seeds");
    assert!(
        matches!(&e["supported"], Value::Bool(_)) || e["supported"] == "partly",
        "{name}: supported is {:?}",
        e["supported"]
    );
    let figures = e["figures"].as_array().expect("figures");
    assert!(!figures.is_empty(), "{name}: no figure");
    for f in figures {
        let file = f.as_str().expect("figure file name");
        let svg = std::fs::read_to_string(out.join(file)).expect("figure file written");
        assert!(
            svg.contains("<svg") && svg.trim_end().ends_with("</svg>"),
            "{file}: not an SVG"
        );
        assert!(html.contains(file), "{file} not in the report");
    }
    assert!(
        html.contains(&format!("id=\"{name}\"")),
        "{name}: no section"
    );
}

#[test]
fn tiny_lab_writes_a_complete_report_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = lab(dir.path(), &[]);
    assert!(
        out.status.success(),
        "lab failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(dir.path().join("report.html")).expect("report.html");
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    // Self-contained: figures inline, nothing fetched.
    assert!(html.matches("<svg").count() >= NAMES.len());
    for external in ["src=\"http", "href=\"http", "<link", "<script", "<img"] {
        assert!(!html.contains(external), "report references {external}");
    }
    let entries = results(dir.path());
    let names: Vec<&str> = entries.iter().filter_map(|e| e["name"].as_str()).collect();
    assert_eq!(names, NAMES);
    for e in &entries {
        check_entry(e, dir.path(), &html);
    }
}

#[test]
fn only_runs_one_experiment_and_unknown_names_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let out = lab(dir.path(), &["--only", "nonlinearities"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let entries = results(dir.path());
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["name"], "nonlinearities");

    let bad = tempfile::tempdir().unwrap();
    let out = lab(bad.path(), &["--only", "no-such-thing"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no-such-thing") && err.contains("surfaces"),
        "{err}"
    );
    assert!(
        !bad.path().join("report.html").exists(),
        "no report for a bad name"
    );
}
