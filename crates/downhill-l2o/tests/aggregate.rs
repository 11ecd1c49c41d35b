//! The meta-loss's aggregation: the soft maximum of log regrets (the default) or the log ratio
//! of summed normalized losses, as a group mean weighs tasks.

use downhill_l2o::{
    Aggregate, LearnedNet, MetaTrainConfig, meta_loss, meta_train, normalized_objective,
    training_tasks,
};

#[test]
fn the_normalized_objective_is_the_weighted_mean_of_loss_ratios() {
    // L = 2, 1, 0.5: ratios 0.5, 0.25; time-weighted mean (1·0.5 + 2·0.25)/3 = 1/3.
    let q = normalized_objective(&[2.0, 1.0, 0.5], 0.5);
    assert!((q - (0.5 / 3.0 + 0.5 * 0.25)).abs() < 1e-15, "{q}");
    assert!((normalized_objective(&[2.0, 1.0, 0.5], 1.0) - 0.25).abs() < 1e-15);
    // A diverged or exploding run counts as e³ per step, like the log objectives' bound 3.
    let cap = 3f64.exp();
    assert_eq!(normalized_objective(&[1.0, f64::NAN, f64::NAN], 1.0), cap);
    assert_eq!(normalized_objective(&[1.0, 1e9, 1e9], 0.0), cap);
}

fn tiny(aggregate: Aggregate, tau: f64) -> MetaTrainConfig {
    MetaTrainConfig {
        iterations: 2,
        pairs: 1,
        tasks: 4,
        unroll: 6,
        validate_every: 0,
        aggregate,
        tau,
        ..MetaTrainConfig::default()
    }
}

#[test]
fn the_mean_ratio_is_zero_against_its_own_runs_and_bounded() {
    let tasks = training_tasks(3, 0, 4).unwrap();
    let theta =
        LearnedNet::initial(&mut <downhill_l2o::L2oRng as rand::SeedableRng>::seed_from_u64(0))
            .to_flat();
    let cfg = tiny(Aggregate::MeanRatio, 1.0);
    // Baselines equal to the learned objectives themselves give ratio 1 in every kind: 0.
    let own: Vec<f64> = tasks
        .iter()
        .map(|t| {
            let net = std::sync::Arc::new(LearnedNet::from_flat(&theta).unwrap());
            let mut opt = downhill_l2o::LearnedOptimizer::<f64>::new(net);
            normalized_objective(
                &downhill_l2o::unroll(t.as_ref(), &mut opt, cfg.unroll).unwrap(),
                cfg.final_weight,
            )
        })
        .collect();
    assert_eq!(meta_loss(&theta, &tasks, &own, &cfg).unwrap(), 0.0);
    // Baselines ten times smaller: ln 10 in every kind.
    let smaller: Vec<f64> = own.iter().map(|b| b / 10.0).collect();
    let j = meta_loss(&theta, &tasks, &smaller, &cfg).unwrap();
    assert!((j - 10f64.ln()).abs() < 1e-12, "{j}");
    // Zero baselines: clamped at 3.
    assert_eq!(meta_loss(&theta, &tasks, &[0.0; 4], &cfg).unwrap(), 3.0);
}

#[test]
fn meta_training_runs_with_either_aggregate() {
    let soft = meta_train(&tiny(Aggregate::SoftMaxRegret, 1.0), |_| {}).unwrap();
    let mean = meta_train(&tiny(Aggregate::MeanRatio, 1.0), |_| {}).unwrap();
    assert_ne!(soft.records[0].meta_loss, mean.records[0].meta_loss);
    assert!(
        mean.records
            .iter()
            .all(|r| (-3.0..=3.0).contains(&r.meta_loss))
    );
    // τ only shapes the soft maximum: the mean ratio still needs (and computes) Adam's runs.
    let untempered = meta_train(&tiny(Aggregate::MeanRatio, 0.0), |_| {}).unwrap();
    assert_eq!(untempered.records, mean.records);
}

#[test]
fn the_aggregate_is_named_in_the_cli_and_the_recorded_configuration() {
    for a in [Aggregate::SoftMaxRegret, Aggregate::MeanRatio] {
        assert_eq!(a.to_string().parse::<Aggregate>().unwrap(), a);
        assert_eq!(serde_json::to_string(&a).unwrap(), format!("\"{a}\""));
    }
    let err = "mean".parse::<Aggregate>().unwrap_err();
    assert!(
        err.contains("\"mean\"") && err.contains("mean-ratio"),
        "{err}"
    );
    let mut v = serde_json::to_value(MetaTrainConfig::default()).unwrap();
    v.as_object_mut().unwrap().remove("aggregate");
    let back: MetaTrainConfig = serde_json::from_value(v).unwrap();
    assert_eq!(back.aggregate, Aggregate::SoftMaxRegret);
}
