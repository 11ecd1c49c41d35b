//! Cross-checks against PyTorch 2.x (`tools/golden/init.py` writes `golden/init.json`).
//!
//! For every scheme × shape × fan mode × nonlinearity the fixture holds the theoretical std and
//! bound as `torch.nn.init` computes them, plus the std, mean and max |x| of tensors PyTorch
//! actually drew. The theory must agree exactly (to 1e-13 relative for the truncated normal,
//! whose `erf` differs from libm's in the last bits); the samples statistically.

mod common;

use common::{assert_mean_and_std, assert_var, rng, to_f64};
use downhill_init::{Init, Nonlinearity, calculate_gain, fans};
use serde_json::Value;

fn fixture() -> Value {
    serde_json::from_str(include_str!("golden/init.json")).unwrap()
}

fn shape_of(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

fn cases() -> Vec<(Init, Vec<usize>, Value)> {
    let doc = fixture();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() > 100, "fixture has {} cases", cases.len());
    cases
        .iter()
        .map(|c| {
            let name = c["init"].as_str().unwrap();
            let init: Init = name.parse().unwrap_or_else(|e| panic!("{name}: {e}"));
            (init, shape_of(&c["shape"]), c.clone())
        })
        .collect()
}

#[test]
fn theoretical_std_and_bound_match_pytorch_exactly() {
    for (init, shape, c) in cases() {
        let want = c["std"].as_f64().unwrap();
        let got = init.std(&shape).unwrap();
        if matches!(init, Init::TruncatedNormal { .. }) {
            assert!(
                (got - want).abs() <= 1e-13 * want,
                "{init} {shape:?}: std {got} vs {want}"
            );
        } else {
            assert_eq!(got, want, "{init} {shape:?}: std");
        }
        if let Some(bound) = c["bound"].as_f64() {
            let (lo, hi) = init.support(&shape).unwrap();
            assert_eq!(lo.abs().max(hi.abs()), bound, "{init} {shape:?}: bound");
        } else {
            assert_eq!(
                init.support(&shape).unwrap(),
                (f64::NEG_INFINITY, f64::INFINITY),
                "{init}"
            );
        }
    }
}

#[test]
fn pytorch_samples_have_our_theoretical_std_and_bound() {
    for (init, shape, c) in cases() {
        let n = c["n"].as_f64().unwrap();
        let std = init.std(&shape).unwrap();
        let torch_std = c["torch_std"].as_f64().unwrap();
        // Normal-theory SE of the variance with a kurtosis allowance of 3 (normal) — the uniform
        // (1.8) and truncated normals are lighter-tailed, so this is conservative.
        let var = torch_std * torch_std;
        assert_var(
            var,
            3.0 * std.powi(4),
            n,
            std,
            &format!("torch {init} {shape:?}"),
        );
        if let Some(bound) = c["bound"].as_f64() {
            assert!(
                c["torch_max_abs"].as_f64().unwrap() <= bound,
                "torch {init} {shape:?} exceeds {bound}"
            );
        }
    }
}

#[test]
fn our_samples_have_pytorchs_std_and_mean() {
    for (k, (init, shape, c)) in cases().into_iter().enumerate() {
        let repeats = fixture()["repeats"].as_u64().unwrap() as usize / 5;
        let mut r = rng(1000 + k as u64);
        let mut xs = Vec::new();
        for _ in 0..repeats {
            xs.extend(to_f64(&init.sample::<f64>(&mut r, &shape).unwrap()));
        }
        let mean = c["mean"].as_f64().unwrap();
        let label = format!("{init} {shape:?}");
        if matches!(init, Init::Orthogonal { .. }) {
            // Entries of one orthogonal matrix are dependent; compare the (exact) second moment.
            let ms = xs.iter().map(|x| x * x).sum::<f64>() / xs.len() as f64;
            let want = c["std"].as_f64().unwrap();
            assert!(
                (ms - want * want).abs() < 1e-12 * want * want,
                "{label}: mean square {ms}"
            );
        } else {
            assert_mean_and_std(&xs, mean, c["std"].as_f64().unwrap(), &label);
        }
    }
}

#[test]
fn gains_match_calculate_gain() {
    for g in fixture()["gains"].as_array().unwrap() {
        let name = g["nonlinearity"].as_str().unwrap();
        let nl = match g["param"].as_f64() {
            Some(p) => Nonlinearity::from_name(name, p).unwrap(),
            None => name.parse().unwrap(),
        };
        assert_eq!(
            calculate_gain(nl).unwrap(),
            g["gain"].as_f64().unwrap(),
            "{name} {:?}",
            g["param"]
        );
    }
}

#[test]
fn fans_match_pytorch() {
    for f in fixture()["fans"].as_array().unwrap() {
        let shape = shape_of(&f["shape"]);
        let got = fans(&shape).unwrap();
        assert_eq!(
            got.fan_in as u64,
            f["fan_in"].as_u64().unwrap(),
            "{shape:?}"
        );
        assert_eq!(
            got.fan_out as u64,
            f["fan_out"].as_u64().unwrap(),
            "{shape:?}"
        );
    }
}
