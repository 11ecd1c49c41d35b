//! Bad hyperparameters are errors naming the value, never panics or NaNs later.

use downhill_optim::{
    Adam, GroupOverrides, Hyper, OPTIMIZER_NAMES, OptimError, Optimizer, ScheduleConfig, Sgd,
    StepLr, by_name,
};

fn err(name: &str, h: Hyper) -> String {
    by_name::<f32>(name, &h)
        .err()
        .unwrap_or_else(|| panic!("{name} accepted {h:?}"))
        .to_string()
}

#[test]
fn bad_hyperparameters_are_named() {
    for name in OPTIMIZER_NAMES {
        let msg = err(
            name,
            Hyper {
                lr: Some(-0.1),
                ..Hyper::default()
            },
        );
        assert!(
            msg.contains("lr") && msg.contains("-0.1") && msg.contains(name),
            "{msg}"
        );
        let msg = err(
            name,
            Hyper {
                lr: Some(f64::NAN),
                ..Hyper::default()
            },
        );
        assert!(msg.contains("NaN"), "{msg}");
        let msg = err(
            name,
            Hyper {
                weight_decay: Some(-1.0),
                ..Hyper::default()
            },
        );
        assert!(msg.contains("weight_decay"), "{msg}");
        let msg = err(
            name,
            Hyper {
                groups: vec![GroupOverrides {
                    lr: Some(-2.0),
                    weight_decay: None,
                }],
                ..Hyper::default()
            },
        );
        assert!(msg.contains("-2"), "{msg}");
    }
    for name in ["adam", "adamw", "nadam", "radam", "adamax", "lion", "lamb"] {
        for betas in [(1.0, 0.999), (0.9, -0.1), (0.9, 1.5)] {
            let msg = err(
                name,
                Hyper {
                    betas: Some(betas),
                    ..Hyper::default()
                },
            );
            assert!(msg.contains("betas"), "{msg}");
        }
    }
    for name in ["adam", "adagrad", "rmsprop", "adadelta", "lamb"] {
        let msg = err(
            name,
            Hyper {
                eps: Some(-1e-8),
                ..Hyper::default()
            },
        );
        assert!(msg.contains("eps") && msg.contains("-0.00000001"), "{msg}");
        assert!(
            by_name::<f32>(
                name,
                &Hyper {
                    eps: Some(0.0),
                    ..Hyper::default()
                }
            )
            .is_ok(),
            "eps = 0 is allowed, as in PyTorch"
        );
    }
}

#[test]
fn nesterov_needs_momentum_and_no_dampening() {
    let e = Sgd {
        nesterov: true,
        ..Sgd::default()
    }
    .build::<f32>()
    .unwrap_err();
    assert!(
        e.to_string().contains("momentum") && e.to_string().contains("Nesterov"),
        "{e}"
    );
    let e = Sgd {
        nesterov: true,
        momentum: 0.9,
        dampening: 0.1,
        ..Sgd::default()
    }
    .build::<f32>()
    .unwrap_err();
    assert!(e.to_string().contains("`dampening` = 0.1"), "{e}");
    assert!(
        Sgd {
            nesterov: true,
            momentum: 0.9,
            ..Sgd::default()
        }
        .build::<f32>()
        .is_ok()
    );
}

#[test]
fn unknown_names_and_foreign_hyperparameters() {
    let msg = err("adm", Hyper::default());
    for name in OPTIMIZER_NAMES {
        assert!(msg.contains(name), "{msg}");
    }
    let msg = err(
        "adam",
        Hyper {
            rho: Some(0.9),
            ..Hyper::default()
        },
    );
    assert!(msg.contains("rho") && msg.contains("adam"), "{msg}");
    assert!(serde_json::from_str::<Hyper>(r#"{"learning_rate": 0.1}"#).is_err());
    let h: Hyper = serde_json::from_str(r#"{"lr": 0.1, "betas": [0.8, 0.9]}"#).unwrap();
    assert_eq!(by_name::<f64>("adam", &h).unwrap().momentum(0), Some(0.8));
}

#[test]
fn setters_and_schedules_validate() {
    let mut opt = Adam::default().build::<f32>().unwrap();
    assert!(matches!(
        opt.set_lr(0, -1.0),
        Err(OptimError::InvalidHyperparameter { .. })
    ));
    assert!(matches!(
        opt.set_lr(5, 0.1),
        Err(OptimError::NoSuchGroup { group: 5, count: 1 })
    ));
    assert!(opt.set_momentum(0, 1.0).is_err());
    let mut ada = by_name::<f32>("adagrad", &Hyper::default()).unwrap();
    assert!(matches!(
        ada.set_momentum(0, 0.9),
        Err(OptimError::NoMomentum { .. })
    ));
    assert!(StepLr::new(&mut opt, 0, 0.1).is_err());
    let one_cycle = ScheduleConfig::OneCycleLr {
        max_lr: vec![0.1],
        total_steps: 3,
        options: Default::default(),
    };
    let mut s = one_cycle
        .build(ada.as_mut())
        .err()
        .expect("adagrad has no momentum to cycle");
    s = s.clone();
    assert!(s.to_string().contains("adagrad"), "{s}");
    let mut sched = one_cycle.build(&mut opt).unwrap();
    for _ in 0..3 {
        sched.step(&mut opt, None).unwrap();
    }
    assert!(
        sched.step(&mut opt, None).is_err(),
        "stepping past total_steps"
    );
    let plateau: ScheduleConfig =
        serde_json::from_str(r#"{"name": "reducelronplateau", "factor": 1.5}"#).unwrap();
    assert!(plateau.build(&mut opt).is_err());
    let plateau: ScheduleConfig = serde_json::from_str(r#"{"name": "reducelronplateau"}"#).unwrap();
    let mut p = plateau.build(&mut opt).unwrap();
    assert!(p.step(&mut opt, None).is_err(), "plateau needs a metric");
    let seq = ScheduleConfig::SequentialLr {
        schedulers: vec![ScheduleConfig::ExponentialLr { gamma: 0.9 }],
        milestones: vec![3],
    };
    assert!(seq.build(&mut opt).is_err());
}
