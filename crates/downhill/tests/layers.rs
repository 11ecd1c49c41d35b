//! Layers and the `Module` trait: names, shapes, initialization, train/eval behaviour.

use downhill::autograd::{ParamId, ParamStore, Tape, Var};
use downhill::layers::{Forward, Linear};
use downhill::{Activation, DefaultRng, LayerSpec, Mode, Module, NetSpec, Network, Tensor};
use rand::SeedableRng;

fn rng(seed: u64) -> DefaultRng {
    DefaultRng::seed_from_u64(seed)
}

fn net(spec: &NetSpec) -> Network<f32> {
    Network::from_spec(spec, &mut rng(0)).unwrap()
}

fn full_spec() -> NetSpec {
    NetSpec {
        input: 4,
        layers: vec![
            LayerSpec::Linear {
                out: 6,
                init: None,
                bias: true,
            },
            LayerSpec::BatchNorm {
                eps: 1e-5,
                momentum: Some(0.1),
            },
            LayerSpec::Activation {
                kind: Activation::Tanh,
            },
            LayerSpec::Dropout { p: 0.5 },
            LayerSpec::LayerNorm { eps: 1e-5 },
            LayerSpec::GaussianNoise { std: 0.5 },
            LayerSpec::Linear {
                out: 3,
                init: Some("he_normal".parse().unwrap()),
                bias: false,
            },
        ],
    }
}

fn ramp(rows: usize, cols: usize) -> Tensor<f32> {
    Tensor::from_fn(&[rows, cols], |i| {
        ((i[0] * cols + i[1]) as f32 * 0.37).sin() * 2.0
    })
}

#[test]
fn parameter_and_buffer_names_follow_pytorch_sequential() {
    let n = net(&full_spec());
    assert_eq!(
        n.param_names(),
        [
            "0.weight", "0.bias", "1.weight", "1.bias", "4.weight", "4.bias", "6.weight"
        ]
    );
    let buffers: Vec<String> = n.buffers().into_iter().map(|(name, _)| name).collect();
    assert_eq!(
        buffers,
        ["1.running_mean", "1.running_var", "1.num_batches_tracked"]
    );
    assert_eq!(n.output_features(), 3);
    assert_eq!(n.input_features(), 4);
    assert_eq!(n.layers().len(), 7);
    let w = &n.params().iter().next().unwrap().value;
    assert_eq!(
        w.shape(),
        &[6, 4],
        "Linear weight is [out, in] as nn.Linear"
    );
}

#[test]
fn linear_default_init_is_pytorchs_uniform_bound() {
    // nn.Linear: weight and bias ~ U(-1/sqrt(in), 1/sqrt(in)).
    let spec = NetSpec::mlp(100, &[], 400, Activation::Relu, None);
    let n = net(&spec);
    let bound = 1.0 / 100f32.sqrt();
    for p in n.params().iter() {
        let v = p.value.as_slice();
        assert!(
            v.iter().all(|x| x.abs() <= bound),
            "{} out of bound",
            p.name
        );
        let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
        assert!(max > 0.9 * bound, "{}: max {max} not near bound", p.name);
    }
    // Mean of U(-b, b) over 40000 samples: within five standard errors of 0.
    let w = n.params().iter().next().unwrap().value.as_slice().to_vec();
    let mean = w.iter().map(|&x| x as f64).sum::<f64>() / w.len() as f64;
    let se = bound as f64 / 3f64.sqrt() / (w.len() as f64).sqrt();
    assert!(mean.abs() < 5.0 * se, "mean {mean}");
}

#[test]
fn linear_init_chosen_by_name() {
    let spec = NetSpec::mlp(
        200,
        &[],
        300,
        Activation::Relu,
        Some("he_normal".parse().unwrap()),
    );
    let n = net(&spec);
    let mut it = n.params().iter();
    let w = it.next().unwrap().value.as_slice().to_vec();
    let var = w.iter().map(|&x| (x as f64).powi(2)).sum::<f64>() / w.len() as f64;
    // He normal: std = sqrt(2 / fan_in) = 0.1 → var 0.01; relative SE of var ≈ sqrt(2/n).
    let rel = (2.0 / w.len() as f64).sqrt();
    assert!((var / 0.01 - 1.0).abs() < 5.0 * rel, "variance {var}");
    let b = &it.next().unwrap().value;
    assert!(
        b.as_slice().iter().all(|&x| x == 0.0),
        "non-default init: zero bias"
    );
}

#[test]
fn zero_sized_layer_is_a_config_error() {
    let spec = NetSpec::mlp(4, &[0], 3, Activation::Relu, None);
    let e = Network::<f32>::from_spec(&spec, &mut rng(0)).unwrap_err();
    assert!(e.to_string().contains("size"), "{e}");
    let spec = NetSpec::mlp(0, &[4], 3, Activation::Relu, None);
    assert!(Network::<f32>::from_spec(&spec, &mut rng(0)).is_err());
}

#[test]
fn forward_rejects_wrong_width_naming_shapes() {
    let mut n = net(&NetSpec::mlp(4, &[5], 3, Activation::Relu, None));
    let e = n.predict(&Tensor::zeros(&[2, 5]), &mut rng(0)).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("[2, 5]") && msg.contains('4'), "{msg}");
}

#[test]
fn linear_forward_matches_hand_computation() {
    let mut n = net(&NetSpec::mlp(2, &[], 2, Activation::Relu, None));
    for p in n.params_mut().iter_mut() {
        if p.name == "0.weight" {
            p.value = Tensor::from_vec(&[2, 2], vec![1.0, 2.0, -1.0, 0.5]).unwrap();
        } else {
            p.value = Tensor::from_vec(&[2], vec![0.1, -0.2]).unwrap();
        }
    }
    let x = Tensor::from_vec(&[1, 2], vec![3.0, -4.0]).unwrap();
    let y = n.predict(&x, &mut rng(0)).unwrap();
    // y = x Wᵀ + b = [3 - 8 + 0.1, -3 - 2 - 0.2]
    assert_eq!(y.as_slice(), &[-4.9, -5.2]);
}

#[test]
fn activations_compute_their_formulas() {
    let x = Tensor::from_vec(&[1, 4], vec![-2.0f64, -0.5, 0.0, 1.5]).unwrap();
    type Reference = fn(f64) -> f64;
    let cases: [(Activation, Reference); 5] = [
        (Activation::Relu, |v| v.max(0.0)),
        (Activation::Tanh, f64::tanh),
        (Activation::Sigmoid, |v| 1.0 / (1.0 + (-v).exp())),
        (Activation::Softplus, |v| (1.0 + v.exp()).ln()),
        (Activation::LeakyRelu { slope: 0.01 }, |v| {
            if v > 0.0 { v } else { 0.01 * v }
        }),
    ];
    for (act, f) in cases {
        let spec = NetSpec {
            input: 4,
            layers: vec![LayerSpec::Activation { kind: act }],
        };
        let mut n = Network::<f64>::from_spec(&spec, &mut rng(0)).unwrap();
        let y = n.predict(&x, &mut rng(0)).unwrap();
        for (got, &xi) in y.as_slice().iter().zip(x.as_slice()) {
            assert!((got - f(xi)).abs() < 1e-12, "{act:?}({xi}) = {got}");
        }
        assert_eq!(
            Activation::from_name(act.name()).unwrap().name(),
            act.name()
        );
    }
    let e = Activation::from_name("swish").unwrap_err().to_string();
    assert!(e.contains("swish") && e.contains("relu"), "{e}");
}

#[test]
fn dropout_and_noise_act_only_in_training() {
    let spec = NetSpec {
        input: 50,
        layers: vec![
            LayerSpec::Dropout { p: 0.5 },
            LayerSpec::GaussianNoise { std: 0.1 },
        ],
    };
    let mut n = net(&spec);
    let x = Tensor::<f32>::ones(&[40, 50]);
    let eval = n.predict(&x, &mut rng(1)).unwrap();
    assert_eq!(eval, x, "identity in evaluation mode");
    let v = n.forward(&x, Mode::Train, &mut rng(1)).unwrap();
    let train = n.tape().value(v).unwrap().clone();
    let zeros = train.as_slice().iter().filter(|&&t| t.abs() < 0.6).count();
    // 2000 Bernoulli(0.5) draws: expected 1000 zeros, SE ≈ 22.
    assert!(
        (zeros as f64 - 1000.0).abs() < 5.0 * 22.4,
        "{zeros} dropped"
    );
    // Kept units are scaled by 1/(1-p) = 2 (plus noise of std 0.1).
    let kept: Vec<f32> = train
        .as_slice()
        .iter()
        .copied()
        .filter(|t| t.abs() >= 0.6)
        .collect();
    let mean = kept.iter().sum::<f32>() / kept.len() as f32;
    assert!((mean - 2.0).abs() < 0.05, "kept mean {mean}");
    // Same seed, same mask.
    let v2 = n.forward(&x, Mode::Train, &mut rng(1)).unwrap();
    assert_eq!(n.tape().value(v2).unwrap(), &train);
}

#[test]
fn batch_norm_normalizes_in_training_and_updates_running_stats() {
    let spec = NetSpec {
        input: 3,
        layers: vec![LayerSpec::BatchNorm {
            eps: 1e-5,
            momentum: Some(0.1),
        }],
    };
    let mut n = Network::<f64>::from_spec(&spec, &mut rng(0)).unwrap();
    let x = Tensor::from_fn(&[8, 3], |i| (i[0] as f64) * (i[1] as f64 + 1.0) + 5.0);
    let v = n.forward(&x, Mode::Train, &mut rng(0)).unwrap();
    let y = n.tape().value(v).unwrap().clone();
    for c in 0..3 {
        let col: Vec<f64> = (0..8).map(|r| y.as_slice()[r * 3 + c]).collect();
        let mean = col.iter().sum::<f64>() / 8.0;
        let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 8.0;
        assert!(
            mean.abs() < 1e-9 && (var - 1.0).abs() < 1e-3,
            "{mean} {var}"
        );
    }
    let bufs = n.buffers();
    let (name, rm) = &bufs[0];
    assert_eq!(name, "0.running_mean");
    // running_mean = 0.9·0 + 0.1·batch mean; batch mean of column c = 3.5(c+1) + 5.
    for c in 0..3 {
        let want = 0.1 * (3.5 * (c as f64 + 1.0) + 5.0);
        assert!((rm.as_slice()[c] - want).abs() < 1e-12);
    }
    assert_eq!(bufs[2].1.as_slice(), &[1.0], "num_batches_tracked");
    // Evaluation uses the running statistics: (x - rm)/sqrt(rv + eps).
    let rv = bufs[1].1.as_slice().to_vec();
    let rm = rm.as_slice().to_vec();
    let e = n.predict(&x, &mut rng(0)).unwrap();
    let want = (x.as_slice()[4] - rm[1]) / (rv[1] + 1e-5).sqrt();
    assert!((e.as_slice()[4] - want).abs() < 1e-9);
}

#[test]
fn layer_norm_normalizes_each_row() {
    let spec = NetSpec {
        input: 5,
        layers: vec![LayerSpec::LayerNorm { eps: 1e-5 }],
    };
    let mut n = Network::<f64>::from_spec(&spec, &mut rng(0)).unwrap();
    let y = n.predict(&ramp(4, 5).cast(), &mut rng(0)).unwrap();
    for row in y.as_slice().chunks(5) {
        let mean = row.iter().sum::<f64>() / 5.0;
        let var = row.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 5.0;
        assert!(mean.abs() < 1e-9 && (var - 1.0).abs() < 1e-3);
    }
}

#[test]
fn flatten_reshapes_images() {
    let spec = NetSpec {
        input: 12,
        layers: vec![
            LayerSpec::Flatten,
            LayerSpec::Linear {
                out: 2,
                init: None,
                bias: true,
            },
        ],
    };
    let mut n = net(&spec);
    let x = Tensor::from_fn(&[3, 1, 3, 4], |i| (i[2] * 4 + i[3]) as f32);
    let y = n.predict(&x, &mut rng(0)).unwrap();
    assert_eq!(y.shape(), &[3, 2]);
    let flat = n
        .predict(&x.reshaped(&[3, 12]).unwrap(), &mut rng(0))
        .unwrap();
    assert_eq!(y, flat);
}

/// A layer `y = x ⊙ s` with a learned per-feature scale.
struct Scale {
    s: ParamId,
}

impl Module<f32> for Scale {
    fn describe(&self) -> String {
        "Scale".into()
    }
    fn forward(
        &mut self,
        tape: &mut Tape<f32>,
        x: Var,
        _fwd: &mut Forward<'_>,
    ) -> downhill::Result<Var> {
        let s = tape.param(self.s)?;
        Ok(tape.mul(x, s)?)
    }
}

#[test]
fn custom_module_pushed_gets_prefixed_names_and_gradients() {
    let mut n = Network::<f32>::new(3);
    n.push(|store: &mut ParamStore<f32>, prefix: &str| {
        Ok(Box::new(Linear::new(
            store,
            prefix,
            3,
            3,
            None,
            true,
            &mut rng(0),
        )?))
    })
    .unwrap();
    n.push(|store, prefix| {
        let s = store.add(format!("{prefix}scale"), Tensor::full(&[3], 2.0))?;
        Ok(Box::new(Scale { s }))
    })
    .unwrap();
    assert_eq!(n.param_names(), ["0.weight", "0.bias", "1.scale"]);
    assert!(n.spec().is_none(), "a pushed network has no spec");
    let x = ramp(4, 3);
    let out = n.forward(&x, Mode::Train, &mut rng(0)).unwrap();
    let loss = n.tape_mut().sum(out).unwrap();
    n.params_mut().zero_grad();
    n.tape_mut().backward(loss).unwrap();
    let scale = n.params().iter().find(|p| p.name == "1.scale").unwrap();
    assert!(scale.has_grad);
    // d/ds Σ (xWᵀ+b)⊙s = column sums of xWᵀ+b, which is the output divided by s = 2.
    let y = n.tape().value(out).unwrap().clone();
    for c in 0..3 {
        let col: f32 = (0..4).map(|r| y.as_slice()[r * 3 + c] / 2.0).sum();
        assert!((scale.grad.as_slice()[c] - col).abs() < 1e-5);
    }
}
