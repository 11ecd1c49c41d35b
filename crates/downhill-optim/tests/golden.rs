//! Golden trajectories: every optimizer against PyTorch (and optax for Lion and LAMB).
//!
//! Fixtures come from `tools/golden/optim.py` and `tools/golden/optim_optax.py` (float64).
//! f64 runs must match to 1e-10 relative (relative to max(|x|, 1)); f32 runs, fed the same
//! values rounded to f32, to 1e-5.

use downhill_optim::{Hyper, ParamMut, by_name};
use downhill_tensor::{Element, Tensor};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!("{}/tests/golden/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn shapes(doc: &Value) -> Vec<Vec<usize>> {
    doc["shapes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| floats(s).iter().map(|&d| d as usize).collect())
        .collect()
}

fn tensor<E: Element>(shape: &[usize], v: &Value) -> Tensor<E> {
    Tensor::from_vec(shape, floats(v).into_iter().map(E::of).collect()).unwrap()
}

/// Runs one case, returning the largest error relative to max(|expected|, 1) over all steps.
fn run_case<E: Element>(doc: &Value, case: &Value) -> f64 {
    let shapes = shapes(doc);
    let hyper: Hyper = serde_json::from_value(case["hyper"].clone()).unwrap();
    let has_groups = !hyper.groups.is_empty();
    let name = case["optimizer"].as_str().unwrap();
    let mut opt = by_name::<E>(name, &hyper).unwrap();
    let init = doc["init"].as_array().unwrap();
    let mut params: Vec<Tensor<E>> = shapes.iter().zip(init).map(|(s, v)| tensor(s, v)).collect();
    let mut worst = 0.0f64;
    let traj = case["trajectory"].as_array().unwrap();
    assert!(traj.len() >= 30 && traj.len() == doc["grads"].as_array().unwrap().len());
    for (step, expected) in doc["grads"].as_array().unwrap().iter().zip(traj) {
        let grads: Vec<Option<Tensor<E>>> = shapes
            .iter()
            .zip(step.as_array().unwrap())
            .map(|(s, g)| (!g.is_null()).then(|| tensor(s, g)))
            .collect();
        let mut handles: Vec<ParamMut<'_, E>> = params
            .iter_mut()
            .zip(&grads)
            .enumerate()
            .map(|(i, (value, g))| ParamMut {
                value,
                grad: g.as_ref(),
                group: usize::from(has_groups && i == 2),
            })
            .collect();
        opt.step(&mut handles).unwrap();
        let got: Vec<f64> = params
            .iter()
            .flat_map(|p| p.as_slice().iter().map(|x| x.as_f64()))
            .collect();
        for (a, b) in got.iter().zip(floats(expected)) {
            worst = worst.max((a - b).abs() / b.abs().max(1.0));
        }
    }
    worst
}

fn check_all(file: &str, tol64: f64, tol32: f64) -> usize {
    let doc = load(file);
    let cases = doc["cases"].as_array().unwrap();
    let mut failures = vec![];
    for case in cases {
        let (e64, e32) = (run_case::<f64>(&doc, case), run_case::<f32>(&doc, case));
        if e64 > tol64 || e32 > tol32 || e64.is_nan() || e32.is_nan() {
            failures.push(format!(
                "{} {}: f64 err {e64:.3e}, f32 err {e32:.3e}",
                case["optimizer"], case["hyper"]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases off:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    cases.len()
}

#[test]
fn torch_optimizers_match_golden_trajectories() {
    let n = check_all("optim_torch.json", 1e-10, 1e-5);
    assert!(n >= 30, "expected the full fixture, got {n} cases");
}

#[test]
fn optax_lion_and_lamb_match_golden_trajectories() {
    let n = check_all("optim_optax.json", 1e-10, 1e-5);
    assert_eq!(n, 6);
}

#[test]
fn every_optimizer_appears_in_the_fixtures() {
    let mut names: Vec<String> = ["optim_torch.json", "optim_optax.json"]
        .iter()
        .flat_map(|f| {
            load(f)["cases"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["optimizer"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    names.sort();
    names.dedup();
    let mut all: Vec<String> = downhill_optim::OPTIMIZER_NAMES
        .iter()
        .map(|s| s.to_string())
        .collect();
    all.sort();
    assert_eq!(names, all);
}
