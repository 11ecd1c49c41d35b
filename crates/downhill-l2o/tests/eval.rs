//! Evaluation against tuned baselines, and the shipped weights' recorded numbers.

use std::sync::Arc;

use downhill_l2o::{Curve, EvalConfig, LearnedNet, evaluate, held_out_groups, reproduction_check};

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
            assert_eq!(c.finals.len(), 2);
            let mean = (c.finals[0] + c.finals[1]) / 2.0;
            assert!((c.final_mean() - mean).abs() <= 1e-12 * mean.abs());
            assert!((c.final_median() - mean).abs() <= 1e-12 * mean.abs());
        }
        assert!(cfg.adam_lrs.contains(&g.curves[1].lr));
        let below = |i: usize| {
            (0..2)
                .filter(|&k| g.curves[0].finals[k] < g.curves[i].finals[k])
                .count()
        };
        assert_eq!((g.wins_vs_adam, g.wins_vs_sgd), (below(1), below(2)));
    }
    assert!(r.table().contains("quadratic"));
    assert!(r.verdict().contains("verdict:"));
}

fn curve_with_finals(finals: &[f64]) -> Curve {
    Curve {
        optimizer: "test".into(),
        lr: 1.0,
        mean: vec![1.0, 0.0],
        std: vec![0.0, 0.0],
        diverged: 0,
        finals: finals.to_vec(),
    }
}

#[test]
fn median_and_per_instance_wins_are_hand_checked() {
    let a = curve_with_finals(&[3.0, 1.0, 2.0]);
    assert_eq!(a.final_median(), 2.0);
    let b = curve_with_finals(&[4.0, f64::NAN, 1.0, 2.0]);
    // NaN (diverged) sorts as +∞: 1, 2, 4, ∞ → (2 + 4) / 2.
    assert_eq!(b.final_median(), 3.0);
    assert!(curve_with_finals(&[]).final_median().is_nan());
    let c = curve_with_finals(&[4.0, 0.5, 2.0]);
    // Strictly below on the same instance: only instance 1 (0.5 < 1); a tie is no win.
    assert_eq!(c.wins_against(&a), 1);
    assert_eq!(a.wins_against(&c), 1);
    let diverged = curve_with_finals(&[f64::NAN, f64::INFINITY, 1e300]);
    assert_eq!(diverged.wins_against(&a), 0);
    assert_eq!(a.wins_against(&diverged), 3);
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
