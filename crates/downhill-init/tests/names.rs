//! The string form of `Init`: names, parameters, `Display`/`FromStr` and serde round trips.

use downhill_init::{FanMode, INIT_NAMES, Init, Nonlinearity};

#[test]
fn every_name_parses_and_displays_as_itself() {
    for name in INIT_NAMES {
        let init: Init = name.parse().unwrap();
        assert_eq!(init.name(), name);
        assert_eq!(init.to_string(), name);
        assert_eq!(Init::from_name(name).unwrap(), init);
    }
    assert_eq!(INIT_NAMES.len(), 16);
}

#[test]
fn named_defaults_are_pytorchs() {
    let he = Init::HeNormal {
        mode: FanMode::FanIn,
        nonlinearity: Nonlinearity::Relu,
    };
    assert_eq!("he_normal".parse::<Init>().unwrap(), he);
    assert_eq!("kaiming_normal".parse::<Init>().unwrap(), he);
    assert_eq!(
        "glorot_uniform".parse::<Init>().unwrap(),
        Init::XavierUniform { gain: 1.0 }
    );
    assert_eq!(
        "truncated_normal".parse::<Init>().unwrap(),
        Init::TruncatedNormal {
            mean: 0.0,
            std: 1.0,
            a: -2.0,
            b: 2.0
        }
    );
    assert_eq!(
        "uniform".parse::<Init>().unwrap(),
        Init::Uniform { a: 0.0, b: 1.0 }
    );
    assert_eq!(Init::default(), Init::PytorchDefault);
    // PyTorch: kaiming_normal_(w, a=0.2) means leaky_relu with slope 0.2.
    let leaky = Init::HeNormal {
        mode: FanMode::FanIn,
        nonlinearity: Nonlinearity::LeakyRelu(0.2),
    };
    assert_eq!("he_normal(a=0.2)".parse::<Init>().unwrap(), leaky);
    assert_eq!(
        "he_normal(nonlinearity=leaky_relu, a=0.2)"
            .parse::<Init>()
            .unwrap(),
        leaky
    );
    // …and leaky_relu without a is kaiming's a = 0.
    assert_eq!(
        " he_normal( nonlinearity = leaky_relu ) "
            .parse::<Init>()
            .unwrap(),
        Init::HeNormal {
            mode: FanMode::FanIn,
            nonlinearity: Nonlinearity::LeakyRelu(0.0)
        }
    );
}

fn parameterized() -> Vec<Init> {
    vec![
        Init::Constant { value: 0.5 },
        Init::Uniform { a: -0.1, b: 0.1 },
        Init::Normal {
            mean: 0.0,
            std: 0.02,
        },
        Init::TruncatedNormal {
            mean: 0.0,
            std: 0.02,
            a: -0.04,
            b: 0.04,
        },
        Init::XavierUniform { gain: 5.0 / 3.0 },
        Init::XavierNormal { gain: 2f64.sqrt() },
        Init::HeUniform {
            mode: FanMode::FanOut,
            nonlinearity: Nonlinearity::Relu,
        },
        Init::HeNormal {
            mode: FanMode::FanIn,
            nonlinearity: Nonlinearity::Tanh,
        },
        Init::HeNormal {
            mode: FanMode::FanOut,
            nonlinearity: Nonlinearity::LeakyRelu(0.01),
        },
        Init::HeUniform {
            mode: FanMode::FanIn,
            nonlinearity: Nonlinearity::Selu,
        },
        Init::Orthogonal { gain: 0.5 },
    ]
}

#[test]
fn display_then_parse_round_trips_exactly() {
    for init in parameterized() {
        let s = init.to_string();
        assert_eq!(s.parse::<Init>().unwrap(), init, "{s}");
        assert!(s.starts_with(init.name()) && s.ends_with(')'), "{s}");
    }
    assert_eq!(
        Init::Normal {
            mean: 0.0,
            std: 0.02
        }
        .to_string(),
        "normal(std=0.02)"
    );
    assert_eq!(
        Init::HeNormal {
            mode: FanMode::FanOut,
            nonlinearity: Nonlinearity::LeakyRelu(0.2)
        }
        .to_string(),
        "he_normal(mode=fan_out, nonlinearity=leaky_relu, a=0.2)"
    );
}

#[test]
fn serde_uses_the_same_snake_case_strings() {
    for name in INIT_NAMES {
        let init: Init = name.parse().unwrap();
        let json = serde_json::to_string(&init).unwrap();
        assert_eq!(json, format!("\"{name}\""));
        assert_eq!(serde_json::from_str::<Init>(&json).unwrap(), init);
    }
    for init in parameterized() {
        let json = serde_json::to_string(&init).unwrap();
        assert_eq!(serde_json::from_str::<Init>(&json).unwrap(), init, "{json}");
    }
    let err = serde_json::from_str::<Init>("\"he_gaussian\"").unwrap_err();
    assert!(err.to_string().contains("xavier_uniform"), "{err}");
    // Inside a config struct.
    #[derive(serde::Deserialize)]
    struct Layer {
        init: Init,
    }
    let layer: Layer = serde_json::from_str(r#"{"init": "xavier_normal(gain=2)"}"#).unwrap();
    assert_eq!(layer.init, Init::XavierNormal { gain: 2.0 });
}

#[test]
fn fan_modes_and_nonlinearities_have_snake_case_names() {
    for mode in [FanMode::FanIn, FanMode::FanOut] {
        assert_eq!(mode.to_string().parse::<FanMode>().unwrap(), mode);
        assert_eq!(serde_json::to_string(&mode).unwrap(), format!("\"{mode}\""));
    }
    for name in downhill_init::NONLINEARITY_NAMES {
        let nl: Nonlinearity = name.parse().unwrap();
        assert_eq!(nl.to_string(), name);
    }
    assert_eq!(
        "leaky_relu".parse::<Nonlinearity>().unwrap(),
        Nonlinearity::LeakyRelu(0.01)
    );
    assert_eq!(
        serde_json::to_string(&Nonlinearity::Tanh).unwrap(),
        "\"tanh\""
    );
}
