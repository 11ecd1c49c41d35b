//! Gradient clipping against `torch.nn.utils.clip_grad_norm_` / `clip_grad_value_`
//! (fixture: `tools/golden/optim_clip.py`), for p = 2, 1, 3, 0.5 and ∞, to 1e-12 relative.

use downhill_optim::{clip_grad_norm, clip_grad_value};
use downhill_tensor::Tensor;
use serde_json::Value;

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1e-300) || a == b
}

#[test]
fn clipping_matches_torch() {
    let path = format!(
        "{}/tests/golden/optim_clip.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let shapes: Vec<Vec<usize>> = doc["shapes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| floats(s).iter().map(|&d| d as usize).collect())
        .collect();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 45);
    for case in cases {
        let before = case["before"].as_array().unwrap();
        let mut grads: Vec<Tensor<f64>> = shapes
            .iter()
            .zip(before)
            .map(|(s, g)| Tensor::from_vec(s, floats(g)).unwrap())
            .collect();
        let mut refs: Vec<&mut Tensor<f64>> = grads.iter_mut().collect();
        if case["kind"] == "norm" {
            let p = case["norm_type"].as_f64().unwrap_or(f64::INFINITY);
            let total =
                clip_grad_norm(&mut refs, case["max_norm"].as_f64().unwrap(), p, false).unwrap();
            let want = case["total"].as_f64().unwrap();
            assert!(close(total, want), "p = {p}: total {total} vs torch {want}");
        } else {
            clip_grad_value(&mut refs, case["clip_value"].as_f64().unwrap()).unwrap();
        }
        for (g, want) in grads.iter().zip(case["after"].as_array().unwrap()) {
            for (a, b) in g.as_slice().iter().zip(floats(want)) {
                assert!(close(*a, b), "{}: {a} vs torch {b}", case["kind"]);
            }
        }
    }
}
