//! Numerical stability against golden fixtures made by `tools/golden/core.py` (PyTorch and
//! 60-digit decimal arithmetic): the activations and their derivatives at extreme inputs, in f64
//! and f32, and softmax / log-softmax / cross-entropy at logits of ±1000.

use downhill_tensor::Tensor;
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

/// Relative error with an absolute floor for values that underflow.
fn close(got: f64, want: f64, rel: f64, abs: f64) -> bool {
    (got - want).abs() <= rel * want.abs() + abs
}

type Act64 = fn(&Tensor<f64>) -> Tensor<f64>;
type Act32 = fn(&Tensor<f32>) -> Tensor<f32>;

fn acts() -> Vec<(&'static str, Act64, Act64, Act32, Act32)> {
    vec![
        (
            "sigmoid",
            Tensor::sigmoid,
            Tensor::sigmoid_grad,
            Tensor::sigmoid,
            Tensor::sigmoid_grad,
        ),
        (
            "tanh",
            Tensor::tanh,
            Tensor::tanh_grad,
            Tensor::tanh,
            Tensor::tanh_grad,
        ),
        (
            "relu",
            Tensor::relu,
            Tensor::relu_grad,
            Tensor::relu,
            Tensor::relu_grad,
        ),
        (
            "softplus",
            Tensor::softplus,
            Tensor::softplus_grad,
            Tensor::softplus,
            Tensor::softplus_grad,
        ),
    ]
}

#[test]
fn activations_f64_match_exact_values_to_full_precision() {
    let fx = fixture("activations.json");
    let xs = floats(&fx["x"]);
    let x = Tensor::from_vec(&[xs.len()], xs.clone()).unwrap();
    for (name, f, df, _, _) in acts() {
        let (v, d) = (f(&x), df(&x));
        let want_v = floats(&fx[name]["exact"]["value"]);
        let want_d = floats(&fx[name]["exact"]["grad"]);
        for i in 0..xs.len() {
            assert!(
                close(v.as_slice()[i], want_v[i], 1e-14, 1e-300),
                "{name}({}) = {} want {}",
                xs[i],
                v.as_slice()[i],
                want_v[i]
            );
            assert!(
                close(d.as_slice()[i], want_d[i], 1e-13, 1e-300),
                "{name}'({}) = {:e} want {:e}",
                xs[i],
                d.as_slice()[i],
                want_d[i]
            );
        }
    }
}

#[test]
fn activations_f64_match_pytorch_to_1e10() {
    let fx = fixture("activations.json");
    let xs = floats(&fx["x"]);
    let x = Tensor::from_vec(&[xs.len()], xs.clone()).unwrap();
    for (name, f, df, _, _) in acts() {
        let (v, d) = (f(&x), df(&x));
        let want_v = floats(&fx[name]["torch_f64"]["value"]);
        let want_d = floats(&fx[name]["torch_f64"]["grad"]);
        for i in 0..xs.len() {
            assert!(
                close(v.as_slice()[i], want_v[i], 1e-10, 1e-10),
                "{name}({})",
                xs[i]
            );
            assert!(
                close(d.as_slice()[i], want_d[i], 1e-10, 1e-10),
                "{name}'({})",
                xs[i]
            );
        }
    }
}

#[test]
fn activations_f32_are_finite_and_correct_at_extremes() {
    let fx = fixture("activations.json");
    let xs = floats(&fx["x"]);
    let x32 = Tensor::<f32>::from_vec(&[xs.len()], xs.iter().map(|&v| v as f32).collect()).unwrap();
    for (name, _, _, f, df) in acts() {
        let (v, d) = (f(&x32), df(&x32));
        assert!(v.all_finite() && d.all_finite(), "{name} not finite in f32");
        let torch_v = floats(&fx[name]["torch_f32"]["value"]);
        let exact_v = floats(&fx[name]["exact"]["value"]);
        let exact_d = floats(&fx[name]["exact"]["grad"]);
        for i in 0..xs.len() {
            let (gv, gd) = (v.as_slice()[i] as f64, d.as_slice()[i] as f64);
            assert!(
                close(gv, torch_v[i], 1e-6, 1e-7),
                "{name}({}) f32 = {gv} torch {}",
                xs[i],
                torch_v[i]
            );
            assert!(
                close(gv, exact_v[i], 1e-6, 1e-7),
                "{name}({}) f32 = {gv} exact {}",
                xs[i],
                exact_v[i]
            );
            assert!(
                close(gd, exact_d[i], 1e-5, 1e-7),
                "{name}'({}) f32 = {gd} exact {}",
                xs[i],
                exact_d[i]
            );
        }
    }
    // the headline values, spelled out: |x| = 1000 in f32
    let x = Tensor::<f32>::from_vec(&[2], vec![-1000.0, 1000.0]).unwrap();
    assert_eq!(x.sigmoid().as_slice(), &[0.0, 1.0]);
    assert_eq!(x.tanh().as_slice(), &[-1.0, 1.0]);
    assert_eq!(x.softplus().as_slice(), &[0.0, 1000.0]);
    assert_eq!(x.relu().as_slice(), &[0.0, 1000.0]);
    assert_eq!(x.sigmoid_grad().as_slice(), &[0.0, 0.0]);
    assert_eq!(x.tanh_grad().as_slice(), &[0.0, 0.0]);
    assert_eq!(x.softplus_grad().as_slice(), &[0.0, 1.0]);
}

/// Regression: `σ(x)(1 − σ(x))` and `1 − tanh²(x)` lose every digit once the output rounds to 1.
#[test]
fn activation_derivatives_keep_relative_precision_in_the_tails() {
    let x = Tensor::<f64>::from_vec(&[2], vec![40.0, -40.0]).unwrap();
    let sg = x.sigmoid_grad();
    let want = (-40f64).exp() / (1.0 + (-40f64).exp()).powi(2);
    assert!(
        sg.as_slice().iter().all(|&g| close(g, want, 1e-14, 0.0)),
        "{sg:?}"
    );
    let tg = x.tanh_grad();
    let want = 4.0 * (-80f64).exp() / (1.0 + (-80f64).exp()).powi(2);
    assert!(
        tg.as_slice().iter().all(|&g| close(g, want, 1e-14, 0.0)),
        "{tg:?}"
    );
}

#[test]
fn softmax_log_softmax_and_cross_entropy_exact_at_1000() {
    let fx = fixture("cross_entropy.json");
    let rows: Vec<Vec<f64>> = fx["logits"]
        .as_array()
        .unwrap()
        .iter()
        .map(floats)
        .collect();
    let (n, c) = (rows.len(), rows[0].len());
    let z = Tensor::from_vec(&[n, c], rows.concat()).unwrap();
    let labels: Vec<usize> = fx["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    let check = |got: &[f64], want: &[f64], what: &str| {
        for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
            assert!(close(g, w, 1e-12, 1e-300), "{what}[{i}] = {g} want {w}");
        }
    };
    check(
        z.softmax(1).unwrap().as_slice(),
        &floats(&fx["softmax_f64"]),
        "softmax",
    );
    check(
        z.log_softmax(1).unwrap().as_slice(),
        &floats(&fx["log_softmax_f64"]),
        "log_softmax",
    );
    let (losses, probs) = z.softmax_cross_entropy(&labels).unwrap();
    check(&losses, &floats(&fx["per_sample_f64"]), "cross_entropy");
    check(probs.as_slice(), &floats(&fx["softmax_f64"]), "probs");
    // f32: exact too (the values at ±1000 are integers or halves)
    let z32: Tensor<f32> = z.cast();
    let (l32, p32) = z32.softmax_cross_entropy(&labels).unwrap();
    assert!(p32.all_finite() && l32.iter().all(|v| v.is_finite()));
    assert_eq!(&l32[..3], &[2000.0, 0.0, 2f32.ln()]);
    let lsm32 = z32.log_softmax(1).unwrap();
    assert_eq!(&lsm32.as_slice()[..3], &[0.0, -2000.0, -1000.0]);
    assert!(z32.softmax(1).unwrap().all_finite());
}
