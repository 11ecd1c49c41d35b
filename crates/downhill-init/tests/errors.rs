//! Bad input is an error with a clear message, never a panic, and leaves the tensor untouched.

mod common;

use common::rng;
use downhill_init::{FanMode, Init, InitError, Nonlinearity, calculate_gain, depth_probe, fans};
use downhill_tensor::Tensor;

fn fill_err(init: Init, shape: &[usize]) -> InitError {
    let mut t = Tensor::<f32>::full(shape, 7.0);
    let err = init.fill(&mut t, &mut rng(0)).unwrap_err();
    assert!(
        t.as_slice().iter().all(|&x| x == 7.0),
        "{init}: tensor modified on error"
    );
    assert!(init.sample::<f64>(&mut rng(0), shape).is_err());
    err
}

#[test]
fn fans_need_two_dimensions() {
    for shape in [&[][..], &[5][..]] {
        assert!(matches!(fans(shape), Err(InitError::TooFewDims { .. })));
    }
    for init in [
        "lecun_uniform",
        "lecun_normal",
        "xavier_uniform",
        "xavier_normal",
        "he_uniform",
        "he_normal",
        "orthogonal",
        "pytorch_default",
    ] {
        let init: Init = init.parse().unwrap();
        let err = fill_err(init, &[5]);
        assert!(matches!(err, InitError::TooFewDims { .. }), "{init}: {err}");
        assert!(
            err.to_string().contains("[5]") && err.to_string().contains(init.name()),
            "{err}"
        );
    }
    assert!(Init::PytorchDefault.bias_init_for(&[3]).is_err());
    assert!(downhill_init::pytorch_default_bias::<f32>(&mut rng(0), &[3]).is_err());
}

#[test]
fn eye_needs_a_matrix() {
    assert!(matches!(
        fill_err(Init::Eye, &[2, 2, 2]),
        InitError::NotMatrix { .. }
    ));
    assert!(downhill_init::eye::<f32>(&[3]).is_err());
}

#[test]
fn negative_std_and_gain_are_errors() {
    let err = fill_err(
        Init::Normal {
            mean: 0.0,
            std: -1.0,
        },
        &[3, 3],
    );
    assert!(
        matches!(err, InitError::Negative { name: "std", .. }),
        "{err}"
    );
    assert!(err.to_string().contains("-1"));
    assert!(matches!(
        fill_err(
            Init::TruncatedNormal {
                mean: 0.0,
                std: -0.1,
                a: -1.0,
                b: 1.0
            },
            &[3]
        ),
        InitError::Negative { .. }
    ));
    assert!(matches!(
        fill_err(
            Init::TruncatedNormal {
                mean: 0.0,
                std: 0.0,
                a: -1.0,
                b: 1.0
            },
            &[3]
        ),
        InitError::Negative { .. }
    ));
    assert!(matches!(
        fill_err(Init::XavierNormal { gain: -1.0 }, &[3, 3]),
        InitError::Negative { name: "gain", .. }
    ));
    assert!(matches!(
        fill_err(Init::Orthogonal { gain: -1.0 }, &[3, 3]),
        InitError::Negative { name: "gain", .. }
    ));
    assert!(downhill_init::normal::<f32>(&mut rng(0), &[2], 0.0, -2.0).is_err());
    // std = 0 is a valid (degenerate) normal, as in PyTorch.
    assert!(
        downhill_init::normal::<f32>(&mut rng(0), &[2], 1.0, 0.0)
            .unwrap()
            .as_slice()
            == [1.0, 1.0]
    );
}

#[test]
fn reversed_bounds_are_errors() {
    let err = fill_err(Init::Uniform { a: 1.0, b: -1.0 }, &[4]);
    assert!(matches!(err, InitError::InvalidBounds { .. }), "{err}");
    assert!(
        err.to_string().contains("a = 1") && err.to_string().contains("b = -1"),
        "{err}"
    );
    assert!(matches!(
        fill_err(
            Init::TruncatedNormal {
                mean: 0.0,
                std: 1.0,
                a: 2.0,
                b: -2.0
            },
            &[4]
        ),
        InitError::InvalidBounds { .. }
    ));
    assert!(downhill_init::uniform::<f64>(&mut rng(0), &[2], 3.0, 2.0).is_err());
    assert!(downhill_init::trunc_normal::<f64>(&mut rng(0), &[2], 0.0, 1.0, 3.0, 2.0).is_err());
}

#[test]
fn nan_and_infinite_parameters_are_errors() {
    let nan = f64::NAN;
    let cases = [
        Init::Constant { value: nan },
        Init::Uniform { a: nan, b: 1.0 },
        Init::Uniform {
            a: 0.0,
            b: f64::INFINITY,
        },
        Init::Normal {
            mean: nan,
            std: 1.0,
        },
        Init::Normal {
            mean: 0.0,
            std: nan,
        },
        Init::TruncatedNormal {
            mean: 0.0,
            std: 1.0,
            a: nan,
            b: 1.0,
        },
        Init::TruncatedNormal {
            mean: nan,
            std: 1.0,
            a: -1.0,
            b: 1.0,
        },
        Init::XavierUniform { gain: nan },
        Init::Orthogonal {
            gain: f64::INFINITY,
        },
        Init::HeNormal {
            mode: FanMode::FanIn,
            nonlinearity: Nonlinearity::LeakyRelu(nan),
        },
    ];
    for init in cases {
        let err = fill_err(init, &[3, 3]);
        assert!(
            matches!(err, InitError::NotFinite { .. }),
            "{init:?}: {err}"
        );
    }
    assert!(calculate_gain(Nonlinearity::LeakyRelu(nan)).is_err());
    assert!(downhill_init::constant::<f32>(&[2], nan).is_err());
}

#[test]
fn unknown_names_list_the_valid_ones() {
    let err = "he_gaussian".parse::<Init>().unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, InitError::UnknownName { .. }));
    for name in downhill_init::INIT_NAMES {
        assert!(msg.contains(name), "{msg} misses {name}");
    }
    let err = "he_normal(nonlinearity=swish)".parse::<Init>().unwrap_err();
    assert!(err.to_string().contains("leaky_relu"), "{err}");
    let err = "he_normal(mode=fan_both)".parse::<Init>().unwrap_err();
    assert!(err.to_string().contains("fan_out"), "{err}");
    assert!("swish".parse::<Nonlinearity>().is_err());
}

#[test]
fn malformed_parameters_are_parse_errors() {
    for bad in [
        "normal(std=abc)",
        "normal(std=1",
        "normal(sigma=1)",
        "normal(std)",
        "xavier_uniform(gain=1, mode=fan_in)",
        "he_normal(nonlinearity=relu, a=0.1)",
        "zeros(value=1)",
    ] {
        let err = bad.parse::<Init>().unwrap_err();
        assert!(matches!(err, InitError::Parse { .. }), "{bad}: {err:?}");
    }
    // A parsed scheme with bad values is an error when used, not when named.
    let init: Init = "normal(std=-1)".parse().unwrap();
    assert!(init.sample::<f32>(&mut rng(0), &[2]).is_err());
}

#[test]
fn depth_probe_rejects_degenerate_networks() {
    let he: Init = "he_normal".parse().unwrap();
    let relu = depth_probe::Activation::Relu;
    for (widths, batch) in [
        (&[4][..], 8),
        (&[4, 0, 4][..], 8),
        (&[4, 4][..], 0),
        (&[][..], 8),
    ] {
        let err = depth_probe::activation_stats::<f32>(&he, relu, widths, batch, &mut rng(0))
            .unwrap_err();
        assert!(matches!(err, InitError::Probe(_)), "{err}");
    }
    let bad = Init::Normal {
        mean: 0.0,
        std: -1.0,
    };
    assert!(depth_probe::activation_stats::<f32>(&bad, relu, &[4, 4], 2, &mut rng(0)).is_err());
}

#[test]
fn zero_element_shapes_are_no_ops_not_panics() {
    // PyTorch warns and returns the empty tensor; so do we (fans still need ≥ 2 dims).
    for name in downhill_init::INIT_NAMES {
        let init: Init = name.parse().unwrap();
        for shape in [&[0, 5][..], &[5, 0][..], &[4, 0, 3][..]] {
            match init.sample::<f32>(&mut rng(0), shape) {
                Ok(t) => assert!(t.is_empty(), "{init} {shape:?}"),
                Err(e) => assert!(
                    init == Init::Eye && shape.len() == 3,
                    "{init} {shape:?}: {e}"
                ),
            }
        }
    }
}
