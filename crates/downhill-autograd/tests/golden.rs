//! Golden values from PyTorch (`tools/golden/core.py`): activations and their derivatives at
//! extreme inputs through the tape, cross-entropy at logits of ±1000, and a composite network
//! expression, values and gradients to 1e-10 in f64.

use downhill_autograd::{Reduction, Result, Tape, Var};
use downhill_tensor::{Element, Tensor};
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/golden/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[track_caller]
fn assert_close(got: &[f64], want: &[f64], rel: f64, abs: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= rel * w.abs() + abs,
            "{what}[{i}]: got {g:e}, want {w:e}"
        );
    }
}

fn to_f64<E: Element>(t: &Tensor<E>) -> Vec<f64> {
    t.as_slice().iter().map(|v| v.as_f64()).collect()
}

/// Value and input gradient of `Σ act(x)` on a tape of element type `E`.
fn act_on_tape<E: Element>(name: &str, xs: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut tape = Tape::<E>::new();
    let x =
        tape.input(Tensor::from_vec(&[xs.len()], xs.iter().map(|&v| E::of(v)).collect()).unwrap());
    let y = match name {
        "sigmoid" => tape.sigmoid(x),
        "tanh" => tape.tanh(x),
        "relu" => tape.relu(x),
        "softplus" => tape.softplus(x),
        _ => unreachable!(),
    }
    .unwrap();
    let s = tape.sum(y).unwrap();
    tape.backward(s).unwrap();
    let v = to_f64(tape.value(y).unwrap());
    let g = to_f64(tape.grad(x).unwrap().unwrap());
    (v, g)
}

const ACTS: [&str; 4] = ["sigmoid", "tanh", "relu", "softplus"];

#[test]
fn activation_values_and_gradients_f64_at_extreme_inputs() {
    let fx = fixture("activations.json");
    let xs = floats(&fx["x"]);
    for name in ACTS {
        let (v, g) = act_on_tape::<f64>(name, &xs);
        // against PyTorch float64, to 1e-10
        assert_close(
            &v,
            &floats(&fx[name]["torch_f64"]["value"]),
            1e-10,
            1e-10,
            name,
        );
        assert_close(
            &g,
            &floats(&fx[name]["torch_f64"]["grad"]),
            1e-10,
            1e-10,
            name,
        );
        // against exact arithmetic, to full relative precision (also in the tails, where
        // PyTorch's own tanh' = 1 − tanh² has no correct digit)
        assert_close(
            &v,
            &floats(&fx[name]["exact"]["value"]),
            1e-14,
            1e-300,
            name,
        );
        assert_close(&g, &floats(&fx[name]["exact"]["grad"]), 1e-13, 1e-300, name);
    }
}

#[test]
fn activation_values_and_gradients_f32_are_finite_and_correct() {
    let fx = fixture("activations.json");
    let xs = floats(&fx["x"]);
    for name in ACTS {
        let (v, g) = act_on_tape::<f32>(name, &xs);
        assert!(
            v.iter().chain(&g).all(|x| x.is_finite()),
            "{name}: not finite in f32"
        );
        assert_close(
            &v,
            &floats(&fx[name]["torch_f32"]["value"]),
            1e-6,
            1e-7,
            name,
        );
        assert_close(
            &g,
            &floats(&fx[name]["torch_f32"]["grad"]),
            1e-5,
            1e-7,
            name,
        );
        assert_close(&g, &floats(&fx[name]["exact"]["grad"]), 1e-5, 1e-7, name);
    }
    // the headline cases at |x| = 1000, spelled out
    let (v, g) = act_on_tape::<f32>("sigmoid", &[-1000.0, 1000.0]);
    assert_eq!((v, g), (vec![0.0, 1.0], vec![0.0, 0.0]));
    let (v, g) = act_on_tape::<f32>("softplus", &[-1000.0, 1000.0]);
    assert_eq!((v, g), (vec![0.0, 1000.0], vec![0.0, 1.0]));
    let (v, g) = act_on_tape::<f32>("tanh", &[-1000.0, 1000.0]);
    assert_eq!((v, g), (vec![-1.0, 1.0], vec![0.0, 0.0]));
}

fn run_cross_entropy<E: Element>(
    fx: &Value,
    reduction: Reduction,
    smoothing: f64,
) -> (f64, Vec<f64>) {
    let rows: Vec<Vec<f64>> = fx["logits"]
        .as_array()
        .unwrap()
        .iter()
        .map(floats)
        .collect();
    let labels: Vec<usize> = fx["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    let (n, c) = (rows.len(), rows[0].len());
    let mut tape = Tape::<E>::new();
    let z = tape
        .input(Tensor::from_vec(&[n, c], rows.concat().into_iter().map(E::of).collect()).unwrap());
    let loss = tape
        .cross_entropy_smoothed(z, &labels, reduction, E::of(smoothing))
        .unwrap();
    tape.backward(loss).unwrap();
    let value = tape.value(loss).unwrap().item().unwrap().as_f64();
    (value, to_f64(tape.grad(z).unwrap().unwrap()))
}

#[test]
fn cross_entropy_at_logits_of_1000_matches_pytorch() {
    let fx = fixture("cross_entropy.json");
    for case in fx["cases"].as_array().unwrap() {
        let reduction = match case["reduction"].as_str().unwrap() {
            "mean" => Reduction::Mean,
            _ => Reduction::Sum,
        };
        let eps = case["label_smoothing"].as_f64().unwrap();
        let what = format!("{reduction:?}, ε = {eps}");
        let (l64, g64) = run_cross_entropy::<f64>(&fx, reduction, eps);
        assert_close(
            &[l64],
            &[case["f64"]["loss"].as_f64().unwrap()],
            1e-12,
            0.0,
            &what,
        );
        assert_close(&g64, &floats(&case["f64"]["grad"]), 1e-10, 1e-15, &what);
        let (l32, g32) = run_cross_entropy::<f32>(&fx, reduction, eps);
        assert!(
            l32.is_finite() && g32.iter().all(|g| g.is_finite()),
            "{what}: f32 not finite"
        );
        assert_close(
            &[l32],
            &[case["f32"]["loss"].as_f64().unwrap()],
            1e-6,
            0.0,
            &what,
        );
        assert_close(&g32, &floats(&case["f32"]["grad"]), 1e-5, 1e-7, &what);
    }
}

#[test]
fn composite_network_expression_matches_pytorch_to_1e10() {
    let fx = fixture("composite.json");
    let input = |k: &str| {
        let shape: Vec<usize> = fx["inputs"][k]["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        Tensor::<f64>::from_vec(&shape, floats(&fx["inputs"][k]["data"])).unwrap()
    };
    let mut tape = Tape::<f64>::new();
    // W and b as parameters, x and c as inputs: both kinds of leaf receive gradients
    let w_id = tape.params_mut().add("W", input("W")).unwrap();
    let b_id = tape.params_mut().add("b", input("b")).unwrap();
    let x = tape.input(input("x"));
    let c = tape.input(input("c"));
    let (w, b) = (tape.param(w_id).unwrap(), tape.param(b_id).unwrap());
    let loss = (|| -> Result<Var> {
        let xw = tape.matmul(x, w)?;
        let h = tape.add(xw, b)?;
        let h = tape.tanh(h)?;
        let h = tape.softplus(h)?;
        let h = tape.mul(h, c)?;
        let data = tape.sum(h)?;
        let w2 = tape.powi(w, 2)?;
        let reg = tape.sum(w2)?;
        let reg = tape.scale(reg, 0.5)?;
        tape.add(data, reg)
    })()
    .unwrap();
    tape.backward(loss).unwrap();
    let value = tape.value(loss).unwrap().item().unwrap();
    assert_close(
        &[value],
        &[fx["loss"].as_f64().unwrap()],
        1e-10,
        0.0,
        "loss",
    );
    let grads = &fx["grads"];
    assert_close(
        tape.grad(x).unwrap().unwrap().as_slice(),
        &floats(&grads["x"]),
        1e-10,
        1e-12,
        "dx",
    );
    assert_close(
        tape.grad(c).unwrap().unwrap().as_slice(),
        &floats(&grads["c"]),
        1e-10,
        1e-12,
        "dc",
    );
    let params = tape.params();
    assert_close(
        params.get(w_id).unwrap().grad().unwrap().as_slice(),
        &floats(&grads["W"]),
        1e-10,
        1e-12,
        "dW",
    );
    assert_close(
        params.get(b_id).unwrap().grad().unwrap().as_slice(),
        &floats(&grads["b"]),
        1e-10,
        1e-12,
        "db",
    );
}
