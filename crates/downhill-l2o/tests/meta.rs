//! Meta-training: reproducible from its seed, validated configuration, the objective's shape.
//!
//! The meta-gradient is estimated by evolution strategies, not backpropagated through the
//! unroll, so there is no meta-gradient to check by finite differences; instead the ES
//! estimate is checked against a finite difference of the meta-loss along a direction.

mod common;

use downhill_l2o::{
    L2oRng, LearnedNet, MetaTrainConfig, final_objective, meta_loss, meta_objective,
    meta_objective_weighted, meta_train, training_tasks,
};
use rand::SeedableRng;

fn tiny(seed: u64) -> MetaTrainConfig {
    MetaTrainConfig {
        iterations: 2,
        pairs: 2,
        tasks: 2,
        unroll: 5,
        seed,
        validate_every: 1,
        validation_tasks: 2,
        ..Default::default()
    }
}

#[test]
fn same_seed_same_run_other_seed_other_run() {
    let a = meta_train(&tiny(1), |_| {}).unwrap();
    let b = meta_train(&tiny(1), |_| {}).unwrap();
    let c = meta_train(&tiny(2), |_| {}).unwrap();
    assert_eq!(a, b);
    assert_ne!(a.net, c.net);
    assert_eq!(a.records.len(), 2);
    assert!(
        a.records
            .iter()
            .all(|r| r.meta_loss.is_finite() && r.grad_norm > 0.0)
    );
}

#[test]
fn the_best_validated_network_is_returned() {
    let run = meta_train(&tiny(3), |_| {}).unwrap();
    let scores: Vec<f64> = run.records.iter().map(|r| r.validation.unwrap()).collect();
    let initial = run.initial_validation.unwrap();
    let best = scores.iter().copied().fold(initial, f64::min);
    match run.selected {
        None => assert_eq!(best, initial),
        Some(k) => assert_eq!(scores[k], best),
    }
    // Without validation the last iterate is returned.
    let last = meta_train(
        &MetaTrainConfig {
            validate_every: 0,
            ..tiny(3)
        },
        |_| {},
    )
    .unwrap();
    assert_eq!(last.selected, Some(1));
    assert!(last.initial_validation.is_none());
    assert!(last.records.iter().all(|r| r.validation.is_none()));
}

#[test]
fn final_objective_is_the_clamped_last_log_ratio() {
    let e = std::f64::consts::E;
    assert!((final_objective(&[1.0, 0.5, 1.0 / (e * e)], -16.0) + 2.0).abs() < 1e-12);
    assert_eq!(final_objective(&[1.0, 1e-30], -16.0), -16.0);
    assert_eq!(final_objective(&[1.0, f64::NAN], -16.0), 3.0);
}

#[test]
fn invalid_configurations_are_errors() {
    for cfg in [
        MetaTrainConfig {
            iterations: 0,
            ..tiny(0)
        },
        MetaTrainConfig {
            pairs: 0,
            ..tiny(0)
        },
        MetaTrainConfig {
            sigma: 0.0,
            ..tiny(0)
        },
        MetaTrainConfig {
            meta_lr: f64::NAN,
            ..tiny(0)
        },
        MetaTrainConfig {
            floor: 0.0,
            ..tiny(0)
        },
        MetaTrainConfig {
            baseline_lrs: vec![],
            ..tiny(0)
        },
        MetaTrainConfig {
            baseline_lrs: vec![0.1, -1.0],
            ..tiny(0)
        },
        MetaTrainConfig {
            quadratic_weight: 0.0,
            ..tiny(0)
        },
    ] {
        assert!(meta_train(&cfg, |_| {}).is_err(), "{cfg:?}");
    }
}

#[test]
fn objective_mixes_step_weighted_and_final_clamped_log_ratio() {
    assert_eq!(meta_objective(&[2.0, 2.0, 2.0], -30.0), 0.0);
    let e = std::f64::consts::E;
    // Weights 1 and 2: ½·(1·(−1) + 2·(−2)) / 3 + ½·(−2).
    assert!((meta_objective(&[1.0, 1.0 / e, 1.0 / (e * e)], -30.0) + 11.0 / 6.0).abs() < 1e-12);
    assert_eq!(meta_objective(&[1.0, f64::NAN], -30.0), 3.0);
    assert_eq!(meta_objective(&[1.0, 0.0], -30.0), -30.0);
    assert_eq!(meta_objective(&[1.0, 1e-12], -16.0), -16.0);
    assert_eq!(meta_objective(&[1.0, 1e300], -16.0), 3.0);
}

#[test]
fn meta_loss_is_smooth_along_a_direction() {
    // ES estimates the gradient of the Gaussian-smoothed meta-loss; the unsmoothed one must at
    // least be a continuous function of θ for that to make sense: a tiny step changes it a little.
    let tasks = training_tasks(0, 0, 2).unwrap();
    let theta = LearnedNet::initial(&mut L2oRng::seed_from_u64(0)).to_flat();
    let shifted: Vec<f64> = theta
        .iter()
        .enumerate()
        .map(|(i, t)| t + 1e-7 * ((i % 5) as f64 - 2.0))
        .collect();
    let cfg = MetaTrainConfig {
        unroll: 20,
        tau: 0.0,
        ..MetaTrainConfig::default()
    };
    let (a, b) = (
        meta_loss(&theta, &tasks, &[0.0, 0.0], &cfg).unwrap(),
        meta_loss(&shifted, &tasks, &[0.0, 0.0], &cfg).unwrap(),
    );
    assert!(a.is_finite() && (a - b).abs() < 1e-3, "{a} vs {b}");
    assert!(a < 0.0, "the Adam-like start makes progress: {a}");
}

#[test]
fn quadratic_weight_weights_the_kinds_in_the_meta_loss() {
    // One quadratic and one MLP: with τ = 0 each kind's term is that task's objective, so the
    // meta-loss is (w·J_quad + J_mlp) / (w + 1), checked against objectives computed directly.
    let tasks = training_tasks(0, 5, 2).unwrap();
    let (theta, direct) = common::initial_theta_and_objectives(&tasks, 10);
    assert!(tasks[0].name().starts_with("quadratic") && tasks[1].name().starts_with("mlp"));
    assert!((direct[0] - direct[1]).abs() > 1e-3, "{direct:?}");
    for w in [1.0, 3.0] {
        let cfg = MetaTrainConfig {
            unroll: 10,
            tau: 0.0,
            quadratic_weight: w,
            ..MetaTrainConfig::default()
        };
        let got = meta_loss(&theta, &tasks, &[0.0, 0.0], &cfg).unwrap();
        let want = (w * direct[0] + direct[1]) / (w + 1.0);
        assert!((got - want).abs() < 1e-12, "w = {w}: {got} vs {want}");
    }
}

#[test]
fn the_final_weight_moves_the_objective_between_the_mean_and_the_end_point() {
    // Losses 1, e⁻², e⁻¹: step-weighted mean (1·(−2) + 2·(−1)) / 3 = −4/3, final −1.
    let e = std::f64::consts::E;
    let losses = [1.0, 1.0 / (e * e), 1.0 / e];
    let at = |w: f64| meta_objective_weighted(&losses, -16.0, w);
    assert!((at(0.0) + 4.0 / 3.0).abs() < 1e-12);
    assert!((at(1.0) - final_objective(&losses, -16.0)).abs() < 1e-12);
    assert_eq!(at(0.5), meta_objective(&losses, -16.0));
    assert!((at(0.75) - (0.25 * -4.0 / 3.0 - 0.75)).abs() < 1e-12);
    for bad in [-0.1, 1.5, f64::NAN] {
        let cfg = MetaTrainConfig {
            final_weight: bad,
            ..tiny(0)
        };
        assert!(meta_train(&cfg, |_| {}).is_err(), "final_weight {bad}");
    }
}

#[test]
fn the_anchor_decay_pulls_each_meta_step_towards_the_initial_network() {
    // A 21-input start that is not the Adam-equivalent network, whatever the shipped one is.
    let mut rng = L2oRng::seed_from_u64(3);
    let start = LearnedNet::initial_with_lr(&mut rng, 0.2);
    let run = |anchor_decay, iterations| {
        let cfg = MetaTrainConfig {
            anchor_decay,
            iterations,
            ..common::tiny_meta_config()
        };
        let pool = downhill_l2o::DataPool::default();
        downhill_l2o::meta_train_from(&cfg, &pool, Some(start.clone()), |_| {})
            .unwrap()
            .net
            .to_flat()
    };
    let theta0 = start.to_flat();
    let free = run(None, 1);
    let pulled = run(Some(50.0), 1);
    // After one meta-step the two runs differ only by the pull (the ES step and Adam's first
    // step do not depend on it): θ ← θ − meta_lr · λ · (θ − θ₀), coordinate by coordinate.
    let pull = MetaTrainConfig::default().meta_lr * 50.0;
    let want: Vec<f64> = free
        .iter()
        .zip(&theta0)
        .map(|(t, t0)| t - pull * (t - t0))
        .collect();
    assert_eq!(pulled, want);
    assert_ne!(pulled, free);
    // Over several steps the pulled run stays nearer the start.
    let dist = |a: &[f64]| {
        a.iter()
            .zip(&theta0)
            .map(|(x, y)| (x - y).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    let (free, pulled) = (run(None, 4), run(Some(50.0), 4));
    assert!(
        dist(&pulled) < 0.9 * dist(&free),
        "{} {}",
        dist(&pulled),
        dist(&free)
    );
}

#[test]
fn bad_anchor_decays_are_rejected_by_name_and_old_configurations_have_none() {
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e4] {
        let cfg = MetaTrainConfig {
            anchor_decay: Some(bad),
            ..common::tiny_meta_config()
        };
        let err = meta_train(&cfg, |_| {}).unwrap_err().to_string();
        assert!(err.contains("anchor_decay"), "{bad}: {err}");
    }
    let mut json = serde_json::to_value(MetaTrainConfig {
        anchor_decay: Some(3.0),
        ..MetaTrainConfig::default()
    })
    .unwrap();
    assert_eq!(json["anchor_decay"], 3.0);
    json.as_object_mut().unwrap().remove("anchor_decay");
    let old: MetaTrainConfig = serde_json::from_value(json).unwrap();
    assert_eq!(old.anchor_decay, None);
}
