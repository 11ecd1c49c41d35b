//! Evaluation against tuned baselines, and the shipped weights' recorded numbers.

use std::sync::Arc;

use downhill_l2o::{EvalConfig, LearnedNet, evaluate, held_out_groups, reproduction_check};

#[test]
fn evaluate_reports_curves_per_group_and_optimizer() {
    let groups = held_out_groups(3, 2).unwrap();
    let cfg = EvalConfig {
        steps: 10,
        adam_lrs: vec![1e-3, 1e-1],
        sgd_lrs: vec![1e-3],
        sgd_momentum: 0.9,
    };
    let r = evaluate(&Arc::new(LearnedNet::shipped().unwrap()), &groups, &cfg).unwrap();
    assert_eq!(r.groups.len(), 4);
    for g in &r.groups {
        assert_eq!(g.seeds, 2);
        let names: Vec<&str> = g.curves.iter().map(|c| c.optimizer.as_str()).collect();
        assert_eq!(names, ["learned", "adam", "sgd-momentum"]);
        for c in &g.curves {
            assert_eq!(c.mean.len(), 11);
            assert!(c.std.iter().all(|s| *s >= 0.0));
        }
        assert!(cfg.adam_lrs.contains(&g.curves[1].lr));
    }
    assert!(r.table().contains("quadratic"));
    assert!(r.verdict().contains("verdict:"));
}

#[test]
fn empty_group_or_grid_is_an_error() {
    let net = Arc::new(LearnedNet::shipped().unwrap());
    let groups = held_out_groups(3, 1).unwrap();
    let cfg = EvalConfig {
        adam_lrs: vec![],
        steps: 3,
        ..EvalConfig::default()
    };
    assert!(evaluate(&net, &groups, &cfg).is_err());
}

/// The numbers `downhill l2o train` recorded in `assets/l2o/train.json` when it produced the
/// shipped weights. Everything runs in f64 and is bit-for-bit deterministic on one machine (the
/// recorded numbers were reproduced exactly in both the release and the test profile); the
/// relative tolerance 1e-9 leaves room only for a different matrix-product kernel rounding the
/// last bits differently on another CPU, amplified over 30 steps of a stable descent.
#[test]
fn shipped_weights_reproduce_their_recorded_numbers() {
    let text = include_str!("../../../assets/l2o/train.json");
    let record: serde_json::Value = serde_json::from_str(text).unwrap();
    let recorded = record["reproduction_check"].as_array().unwrap();
    let now = reproduction_check(&Arc::new(LearnedNet::shipped().unwrap())).unwrap();
    assert_eq!(recorded.len(), now.len());
    for (r, (name, loss)) in recorded.iter().zip(&now) {
        assert_eq!(r[0].as_str().unwrap(), name);
        let want = r[1].as_f64().unwrap();
        assert!(
            (loss - want).abs() <= 1e-9 * want.abs(),
            "{name}: {loss} vs recorded {want}"
        );
    }
}
