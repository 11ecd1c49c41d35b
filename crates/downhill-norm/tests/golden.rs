//! PyTorch golden fixtures (tools/golden/norm.py, float64): batch norm over several steps and
//! layer norm, compared to 1e-10.

use downhill_autograd::{ParamId, Tape};
use downhill_norm::{BatchNorm, BatchNormConfig, LayerNorm, LayerNormConfig, Mode};
use downhill_tensor::Tensor;
use serde_json::Value;

const TOL: f64 = 1e-10;

fn fixture() -> Value {
    let text = include_str!("golden/norm.json");
    serde_json::from_str(text).expect("valid fixture JSON")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn shape(v: &Value) -> Vec<usize> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_u64().expect("dim") as usize)
        .collect()
}

fn assert_close(case: &str, what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{case}: {what} length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= TOL * w.abs().max(1.0),
            "{case}: {what}[{i}] = {g}, PyTorch {w}"
        );
    }
}

fn set_param(tape: &mut Tape<f64>, id: Option<ParamId>, v: &Value) {
    if let Some(id) = id {
        let p = tape.params_mut().get_mut(id).unwrap();
        p.value.as_mut_slice().copy_from_slice(&floats(v));
    }
}

fn grad_of(tape: &Tape<f64>, id: Option<ParamId>) -> Vec<f64> {
    let p = tape.params().get(id.expect("affine")).unwrap();
    p.grad()
        .expect("gradient reached the parameter")
        .as_slice()
        .to_vec()
}

fn bn_layer(case: &Value, tape: &mut Tape<f64>) -> BatchNorm<f64> {
    let shape = shape(&case["shape"]);
    let config = BatchNormConfig {
        eps: case["eps"].as_f64().unwrap(),
        momentum: case["momentum"].as_f64(),
        affine: case["affine"].as_bool().unwrap(),
        track_running_stats: case["track_running_stats"].as_bool().unwrap(),
        ..BatchNormConfig::new(shape[1])
    };
    let bn = match case["kind"].as_str().unwrap() {
        "1d" => BatchNorm::new_1d(config, tape.params_mut(), "bn.").unwrap(),
        _ => BatchNorm::new_2d(config, tape.params_mut(), "bn.").unwrap(),
    };
    set_param(tape, bn.weight(), &case["weight"]);
    set_param(tape, bn.bias(), &case["bias"]);
    bn
}

fn check_bn_step(
    name: &str,
    step: &Value,
    bn: &mut BatchNorm<f64>,
    tape: &mut Tape<f64>,
    shape: &[usize],
) {
    tape.clear();
    tape.params_mut().zero_grad();
    let mode = if step["mode"] == "train" {
        Mode::Train
    } else {
        Mode::Eval
    };
    let x = tape.input(Tensor::from_vec(shape, floats(&step["x"])).unwrap());
    let y = bn.forward(tape, x, mode).unwrap();
    let g = Tensor::from_vec(shape, floats(&step["g"])).unwrap();
    tape.backward_with_seed(y, g).unwrap();
    assert_close(
        name,
        "y",
        tape.value(y).unwrap().as_slice(),
        &floats(&step["y"]),
    );
    assert_close(
        name,
        "dx",
        tape.grad(x).unwrap().unwrap().as_slice(),
        &floats(&step["dx"]),
    );
    if bn.config().affine {
        assert_close(
            name,
            "dweight",
            &grad_of(tape, bn.weight()),
            &floats(&step["dweight"]),
        );
        assert_close(
            name,
            "dbias",
            &grad_of(tape, bn.bias()),
            &floats(&step["dbias"]),
        );
    }
    if bn.config().track_running_stats {
        let rm = bn.running_mean().unwrap().as_slice();
        assert_close(name, "running_mean", rm, &floats(&step["running_mean"]));
        let rv = bn.running_var().unwrap().as_slice();
        assert_close(name, "running_var", rv, &floats(&step["running_var"]));
        assert_eq!(
            bn.num_batches_tracked(),
            step["num_batches_tracked"].as_u64(),
            "{name}"
        );
    } else {
        assert!(bn.running_mean().is_none() && bn.buffers().is_empty());
    }
}

#[test]
fn batch_norm_matches_pytorch_over_several_steps() {
    let fx = fixture();
    let cases = fx["batch_norm"].as_array().unwrap();
    assert!(cases.len() >= 15);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let shape = shape(&case["shape"]);
        let mut tape = Tape::<f64>::new();
        let mut bn = bn_layer(case, &mut tape);
        for (k, step) in case["steps"].as_array().unwrap().iter().enumerate() {
            check_bn_step(
                &format!("{name} step {k}"),
                step,
                &mut bn,
                &mut tape,
                &shape,
            );
        }
    }
}

#[test]
fn layer_norm_matches_pytorch() {
    let fx = fixture();
    for case in fx["layer_norm"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let shape = shape(&case["shape"]);
        let config = LayerNormConfig {
            eps: case["eps"].as_f64().unwrap(),
            elementwise_affine: case["elementwise_affine"].as_bool().unwrap(),
            bias: case["bias"].as_bool().unwrap(),
            ..LayerNormConfig::new(&shape_of(&case["normalized_shape"]))
        };
        let mut tape = Tape::<f64>::new();
        let ln = LayerNorm::new(config, tape.params_mut(), "ln.").unwrap();
        set_param(&mut tape, ln.weight(), &case["weight"]);
        set_param(&mut tape, ln.bias(), &case["bias_value"]);
        let x = tape.input(Tensor::from_vec(&shape, floats(&case["x"])).unwrap());
        let y = ln.forward(&mut tape, x).unwrap();
        tape.backward_with_seed(y, Tensor::from_vec(&shape, floats(&case["g"])).unwrap())
            .unwrap();
        assert_close(
            name,
            "y",
            tape.value(y).unwrap().as_slice(),
            &floats(&case["y"]),
        );
        assert_close(
            name,
            "dx",
            tape.grad(x).unwrap().unwrap().as_slice(),
            &floats(&case["dx"]),
        );
        if ln.weight().is_some() {
            assert_close(
                name,
                "dweight",
                &grad_of(&tape, ln.weight()),
                &floats(&case["dweight"]),
            );
        }
        if ln.bias().is_some() {
            assert_close(
                name,
                "dbias",
                &grad_of(&tape, ln.bias()),
                &floats(&case["dbias"]),
            );
        }
        assert_eq!(
            ln.bias().is_some(),
            !case["dbias"].is_null(),
            "{name}: bias presence"
        );
    }
}

fn shape_of(v: &Value) -> Vec<usize> {
    shape(v)
}

#[test]
fn buffers_are_named_as_pytorch_state_dict_and_round_trip() {
    let mut tape = Tape::<f64>::new();
    let fx = fixture();
    let case = &fx["batch_norm"][0];
    let mut bn = bn_layer(case, &mut tape);
    let names: Vec<String> = bn.buffers().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "bn.running_mean",
            "bn.running_var",
            "bn.num_batches_tracked"
        ]
    );
    let params: Vec<&str> = tape.params().iter().map(|p| p.name.as_str()).collect();
    assert_eq!(params, ["bn.weight", "bn.bias"]);
    let step = &case["steps"][2];
    let c = bn.config().num_features;
    bn.set_running_mean(&Tensor::from_vec(&[c], floats(&step["running_mean"])).unwrap())
        .unwrap();
    bn.set_running_var(&Tensor::from_vec(&[c], floats(&step["running_var"])).unwrap())
        .unwrap();
    bn.set_num_batches_tracked(3).unwrap();
    // Restored buffers give PyTorch's evaluation step exactly.
    check_bn_step(
        "restored eval",
        &case["steps"][3],
        &mut bn,
        &mut tape,
        &shape(&case["shape"]),
    );
}
