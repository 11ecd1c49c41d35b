//! Real-data tasks: the row split, the tasks drawn from each part, bad data, and that an empty
//! pool leaves the family exactly as it was.

mod common;

use downhill_l2o::{
    Aggregate, DataPool, L2oRng, MIN_REAL_ROWS, MetaTrainConfig, RealData, RealKinds, Task,
    held_out_groups, held_out_groups_with, meta_loss, meta_objective, meta_train, meta_train_with,
    normalized_objective, training_tasks, training_tasks_with,
};
use downhill_tensor::Tensor;
use rand::SeedableRng;

/// `n` rows whose first feature is the row index (so a task's rows can be traced back) and
/// whose second is a fixed function of it; labels cycle through `classes`.
fn indexed(name: &str, n: usize, classes: usize) -> RealData {
    let x = (0..n)
        .flat_map(|i| [i as f64, (i as f64 * 0.7).sin()])
        .collect();
    let x = Tensor::from_vec(&[n, 2], x).unwrap();
    RealData::new(name, x, (0..n).map(|i| i % classes).collect(), classes).unwrap()
}

fn pool() -> DataPool {
    DataPool::new(vec![indexed("small", 90, 3), indexed("large", 600, 2)]).unwrap()
}

/// The row indices a task trains on (its first feature, unstandardized).
fn rows_of(task: &downhill_l2o::MlpTask) -> Vec<usize> {
    let x = task.features();
    let d = x.shape()[1];
    x.as_slice()
        .iter()
        .step_by(d)
        .map(|&v| v as usize)
        .collect()
}

#[test]
fn the_split_is_disjoint_complete_and_deterministic() {
    let (a, b) = (pool(), pool());
    for (name, n) in [("small", 90), ("large", 600)] {
        let (train, held) = a.split(name).unwrap();
        assert_eq!(held.len(), n / 3);
        assert_eq!(train.len(), n - n / 3);
        let mut all: Vec<usize> = train.iter().chain(held).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..n).collect::<Vec<_>>(), "{name}: not a partition");
        assert_eq!(a.split(name), b.split(name));
    }
    assert!(a.split("missing").is_none());
    // The split depends on the row count, not on the order the sets come in.
    let swapped = DataPool::new(vec![indexed("large", 600, 2), indexed("small", 90, 3)]).unwrap();
    assert_eq!(swapped.split("small"), a.split("small"));
    let summary = a.summary();
    assert_eq!(summary[1].training_rows + summary[1].held_out_rows, 600);
}

#[test]
fn training_tasks_use_only_training_rows_and_held_out_groups_only_held_out_rows() {
    let pool = pool();
    let mut rng = L2oRng::seed_from_u64(4);
    for _ in 0..30 {
        let task = pool.sample_training(&mut rng).unwrap();
        let rows = rows_of(&task);
        let set = if task.name().contains("small") {
            "small"
        } else {
            "large"
        };
        let (train, _) = pool.split(set).unwrap();
        let (lo, hi) = (64.min(train.len()), 256.min(train.len()));
        assert!((lo..=hi).contains(&rows.len()), "{}", task.name());
        assert!(rows.iter().all(|r| train.contains(r)), "{}", task.name());
        let mut dedup = rows.clone();
        dedup.sort_unstable();
        dedup.dedup();
        assert_eq!(dedup.len(), rows.len(), "rows drawn twice");
        let sizes = task.sizes();
        assert_eq!(sizes[0], 2);
        assert!((8..=32).contains(&sizes[1]));
        assert_eq!(*sizes.last().unwrap(), if set == "small" { 3 } else { 2 });
        assert!(task.name().starts_with("mlp-real("));
        let (loss, grads) = task.loss_and_grad(&task.init()).unwrap();
        assert!(loss.is_finite() && grads.len() == 4);
    }
    let groups = pool.sample_held_out(&mut rng, 5).unwrap();
    assert_eq!(groups.len(), 2);
    for ((group, tasks), set) in groups.iter().zip(["small", "large"]) {
        assert_eq!(group, &format!("mlp-{set}"));
        assert_eq!(tasks.len(), 5);
        let (_, held) = pool.split(set).unwrap();
        for t in tasks {
            let rows = rows_of(t);
            let (lo, hi) = (64.min(held.len()), 256.min(held.len()));
            assert!((lo..=hi).contains(&rows.len()), "{}", t.name());
            assert!(rows.iter().all(|r| held.contains(r)), "{}", t.name());
        }
    }
}

#[test]
fn training_tasks_cycle_through_three_kinds_with_a_pool() {
    let names = |v: &[Box<dyn Task>]| v.iter().map(|t| t.name()).collect::<Vec<_>>();
    let tasks = training_tasks_with(3, 7, 7, &pool()).unwrap();
    let kinds: Vec<String> = names(&tasks)
        .iter()
        .map(|n| n.split('(').next().unwrap().to_string())
        .collect();
    let want = [
        "quadratic",
        "mlp",
        "mlp-real",
        "quadratic",
        "mlp",
        "mlp-real",
        "quadratic",
    ];
    assert_eq!(kinds, want);
    assert_eq!(
        names(&tasks),
        names(&training_tasks_with(3, 7, 7, &pool()).unwrap())
    );
}

#[test]
fn an_empty_pool_leaves_the_family_bitwise_unchanged() {
    let empty = DataPool::default();
    for (seed, it) in [(0, 0), (0, 5), (3, 1 << 39)] {
        let a = training_tasks(seed, it, 6).unwrap();
        let b = training_tasks_with(seed, it, 6, &empty).unwrap();
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.name(), y.name());
            assert_eq!(x.init(), y.init());
        }
    }
    // The held-out synthetic groups of a draw do not move when real groups are added after them.
    let plain = held_out_groups(2, 3).unwrap();
    let with = held_out_groups_with(2, 3, &pool()).unwrap();
    assert_eq!(with.len(), plain.len() + 2);
    for (p, w) in plain.iter().zip(&with) {
        assert_eq!(p.name, w.name);
        for (s, t) in p.instances.iter().zip(&w.instances) {
            assert_eq!(s.name(), t.name());
            assert_eq!(s.init(), t.init());
            let x = perturb(s.init());
            assert_eq!(
                s.loss_and_grad(&x).unwrap().0,
                t.loss_and_grad(&x).unwrap().0
            );
        }
    }
    assert_eq!(with[4].name, "mlp-small");
    assert_eq!(with[5].name, "mlp-large");
}

fn perturb(params: Vec<Tensor<f64>>) -> Vec<Tensor<f64>> {
    params
        .into_iter()
        .map(|mut p| {
            p.as_mut_slice()
                .iter_mut()
                .enumerate()
                .for_each(|(i, v)| *v += 0.01 * (i as f64).cos());
            p
        })
        .collect()
}

/// The first meta-loss recorded by the run that produced the weights shipped before real data
/// existed (`assets/l2o/meta_loss.csv` at commit 021e2b7, iteration 0; the shipped command with
/// validation off, which does not steer the trajectory): meta-training without real data must
/// still reproduce it bit for bit.
#[test]
fn without_real_data_meta_training_reproduces_the_pre_real_data_run() {
    let cfg = MetaTrainConfig {
        iterations: 1,
        tasks: 6,
        validate_every: 0,
        baseline_lrs: vec![0.03, 0.1, 0.3, 1.0, 3.0],
        regret_floor: Some(-1.0),
        initial_lr: 0.1,
        ..Default::default()
    };
    let run = meta_train(&cfg, |_| {}).unwrap();
    assert_eq!(run.records[0].meta_loss, 4.026496657735264);
    assert_eq!(run.records[0].grad_norm, 1447.8522025974892);
}

#[test]
fn the_pool_must_match_the_configuration() {
    let tiny = MetaTrainConfig {
        iterations: 1,
        pairs: 1,
        tasks: 3,
        unroll: 3,
        validate_every: 1,
        validation_tasks: 3,
        real_data: vec!["small".into(), "large".into()],
        ..Default::default()
    };
    assert!(
        meta_train(&tiny, |_| {}).is_err(),
        "real data named but no pool"
    );
    let wrong = DataPool::new(vec![indexed("small", 90, 3)]).unwrap();
    assert!(meta_train_with(&tiny, &wrong, |_| {}).is_err());
    let run = meta_train_with(&tiny, &pool(), |_| {}).unwrap();
    assert!(run.records[0].meta_loss.is_finite());
    let no_data = MetaTrainConfig {
        real_data: Vec::new(),
        ..tiny
    };
    assert!(meta_train_with(&no_data, &pool(), |_| {}).is_err());
}

#[test]
fn bad_data_is_a_clear_error() {
    let x = |n: usize| Tensor::<f64>::zeros(&[n, 2]);
    let labels = |n: usize| (0..n).map(|i| i % 2).collect::<Vec<_>>();
    let err = |r: downhill_l2o::Result<RealData>| r.unwrap_err().to_string();
    assert!(err(RealData::new("d", x(8), vec![0, 1, 2, 0, 1, 0, 1, 0], 2)).contains("label 2"));
    assert!(err(RealData::new("d", x(8), labels(7), 2)).contains("8 feature rows but 7 labels"));
    assert!(err(RealData::new("d", x(0), labels(0), 2)).contains("need at least"));
    let few = MIN_REAL_ROWS - 1;
    assert!(err(RealData::new("d", x(few), labels(few), 2)).contains("need at least"));
    assert!(err(RealData::new("d", x(8), labels(8), 1)).contains("classes"));
    assert!(err(RealData::new("d", Tensor::zeros(&[8]), labels(8), 2)).contains("features"));
    assert!(err(RealData::new("d", Tensor::zeros(&[8, 0]), labels(8), 2)).contains("features"));
    assert!(err(RealData::new("", x(8), labels(8), 2)).contains("name"));
    assert!(err(RealData::new("a(b", x(8), labels(8), 2)).contains("name"));
    let mut nan = x(8);
    nan.as_mut_slice()[3] = f64::NAN;
    assert!(err(RealData::new("d", nan, labels(8), 2)).contains("non-finite"));
    let twice = DataPool::new(vec![indexed("s", 10, 2), indexed("s", 12, 2)]);
    assert!(twice.unwrap_err().to_string().contains("given twice"));
    assert!(
        DataPool::default()
            .sample_training(&mut L2oRng::seed_from_u64(0))
            .is_err()
    );
}

#[test]
fn standardization_gives_zero_mean_unit_variance_columns() {
    let x = Tensor::from_vec(&[4, 2], vec![1.0, 5.0, 2.0, 5.0, 3.0, 5.0, 6.0, 5.0]).unwrap();
    let set = RealData::new("s", x, vec![0, 1, 0, 1], 2);
    // Too few rows for a pool set, but standardization itself is checked on a bigger one.
    assert!(set.is_err());
    let x = Tensor::from_vec(
        &[6, 2],
        vec![1.0, 5.0, 2.0, 5.0, 3.0, 5.0, 6.0, 5.0, 0.0, 5.0, 12.0, 5.0],
    )
    .unwrap();
    let set = RealData::new("s", x, vec![0, 1, 0, 1, 0, 1], 2).unwrap();
    let before = set.checksum();
    let z = set.standardized();
    assert_ne!(z.checksum(), before);
    // Column 0: 1, 2, 3, 6, 0, 12 → mean 4, population variance (9+4+1+4+16+64)/6 = 98/6.
    let sd = (98.0f64 / 6.0).sqrt();
    let want = [1.0, 2.0, 3.0, 6.0, 0.0, 12.0].map(|v| (v - 4.0) / sd);
    let pool = DataPool::new(vec![z]).unwrap();
    let summary = &pool.summary()[0];
    assert_eq!((summary.rows, summary.features, summary.classes), (6, 2, 2));
    // The held-out part has 6 / 3 = 2 rows, so a held-out task holds both of them.
    let mut rng = L2oRng::seed_from_u64(0);
    let t = &pool.sample_held_out(&mut rng, 1).unwrap()[0].1[0];
    let held = pool.split("s").unwrap().1;
    assert_eq!(t.features().shape(), [2, 2]);
    for &row in held {
        let r = t
            .features()
            .as_slice()
            .chunks(2)
            .find(|r| (r[0] - want[row]).abs() < 1e-12)
            .expect("held-out row present, standardized");
        assert_eq!(r[1], 0.0, "a constant column becomes 0");
    }
}

#[test]
fn the_real_weight_weights_the_real_data_kind_in_the_meta_loss() {
    // One task of each kind: with τ = 0 each kind's term is that task's objective, so the
    // meta-loss is (w_q·J_quad + J_mlp + w_r·J_real) / (w_q + 1 + w_r), checked against the
    // objectives computed directly.
    let tasks = training_tasks_with(0, 3, 3, &pool()).unwrap();
    let kinds: Vec<String> = tasks.iter().map(|t| t.name()).collect();
    assert!(
        kinds[0].starts_with("quadratic(")
            && kinds[1].starts_with("mlp(")
            && kinds[2].starts_with("mlp-real("),
        "{kinds:?}"
    );
    let (theta, direct) = common::initial_theta_and_objectives(&tasks, 10);
    assert!((direct[2] - direct[1]).abs() > 1e-3, "{direct:?}");
    for (wq, wr) in [(1.0, 1.0), (1.0, 3.0), (2.0, 0.5)] {
        let cfg = MetaTrainConfig {
            unroll: 10,
            tau: 0.0,
            quadratic_weight: wq,
            real_weight: wr,
            ..MetaTrainConfig::default()
        };
        let got = meta_loss(&theta, &tasks, &[0.0; 3], &cfg).unwrap();
        let want = (wq * direct[0] + direct[1] + wr * direct[2]) / (wq + 1.0 + wr);
        assert!(
            (got - want).abs() < 1e-12,
            "w = {wq}, {wr}: {got} vs {want}"
        );
    }
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let cfg = MetaTrainConfig {
            iterations: 1,
            real_weight: bad,
            real_data: vec!["small".into(), "large".into()],
            ..MetaTrainConfig::default()
        };
        let err = meta_train_with(&cfg, &pool(), |_| {}).unwrap_err();
        assert!(err.to_string().contains("real_weight"), "{bad}: {err}");
    }
}

/// `τ · ln(mean exp(v / τ))` with τ = 1: the soft maximum the meta-loss takes within a kind.
fn soft_max(v: &[f64]) -> f64 {
    (v.iter().map(|x| x.exp()).sum::<f64>() / v.len() as f64).ln()
}

#[test]
fn per_set_real_kinds_give_each_data_set_its_own_kind_in_both_aggregates() {
    // An iteration whose real-data tasks (every third task) come from both sets, one set
    // more than once, so that per-set and pooled soft maxima differ.
    let (tasks, small) = (0..100)
        .find_map(|it| {
            let tasks = training_tasks_with(0, it, 12, &pool()).unwrap();
            let small: Vec<bool> = (2..12)
                .step_by(3)
                .map(|i| tasks[i].name().starts_with("mlp-real(small,"))
                .collect();
            let n = small.iter().filter(|&&s| s).count();
            (n == 1 || n == 2 || n == 3).then_some((tasks, small))
        })
        .expect("an iteration drawing both sets");
    let (theta, losses) = common::initial_theta_and_losses(&tasks, 10);
    // Per-task values split by kind: quadratics, synthetic MLPs, all real-data tasks, and
    // the real-data tasks on the small and on the large set.
    let by_kind = |per_task: &[f64]| -> [Vec<f64>; 5] {
        let of = |kind: usize| -> Vec<f64> { (kind..12).step_by(3).map(|i| per_task[i]).collect() };
        let real = of(2);
        let on = |want_small: bool| -> Vec<f64> {
            real.iter()
                .zip(&small)
                .filter(|&(_, &s)| s == want_small)
                .map(|(&j, _)| j)
                .collect()
        };
        let (on_small, on_large) = (on(true), on(false));
        [of(0), of(1), real, on_small, on_large]
    };
    let direct: Vec<f64> = losses.iter().map(|l| meta_objective(l, -16.0)).collect();
    let [quad, mlp, real, on_small, on_large] = by_kind(&direct);
    let (wq, wr) = (1.5, 2.0);
    let cfg = |real_kinds| MetaTrainConfig {
        unroll: 10,
        tau: 1.0,
        quadratic_weight: wq,
        real_weight: wr,
        real_kinds,
        ..MetaTrainConfig::default()
    };
    let shared = wq * soft_max(&quad) + soft_max(&mlp);
    let total = wq + 1.0 + wr;
    let pooled_want = (shared + wr * soft_max(&real)) / total;
    let per_set_want = (shared + wr / 2.0 * (soft_max(&on_small) + soft_max(&on_large))) / total;
    let pooled = meta_loss(&theta, &tasks, &[0.0; 12], &cfg(RealKinds::Pooled)).unwrap();
    let per_set = meta_loss(&theta, &tasks, &[0.0; 12], &cfg(RealKinds::PerSet)).unwrap();
    assert!(
        (pooled - pooled_want).abs() < 1e-12,
        "{pooled} vs {pooled_want}"
    );
    assert!(
        (per_set - per_set_want).abs() < 1e-12,
        "{per_set} vs {per_set_want}"
    );
    assert!((pooled - per_set).abs() > 1e-6, "{pooled} vs {per_set}");

    // The mean-ratio aggregate groups the kinds the same way: per kind the clamped log ratio
    // of the summed normalized objectives over the summed baselines (all 0.5 here).
    let q: Vec<f64> = losses
        .iter()
        .map(|l| normalized_objective(l, 0.5))
        .collect();
    let term = |v: &[f64]| {
        (v.iter().sum::<f64>() / (0.5 * v.len() as f64))
            .ln()
            .clamp(-3.0, 3.0)
    };
    let [quad, mlp, real, on_small, on_large] = by_kind(&q);
    let shared = wq * term(&quad) + term(&mlp);
    let want = (shared + wr / 2.0 * (term(&on_small) + term(&on_large))) / total;
    let cfg_mean_ratio = MetaTrainConfig {
        aggregate: Aggregate::MeanRatio,
        ..cfg(RealKinds::PerSet)
    };
    let got = meta_loss(&theta, &tasks, &[0.5; 12], &cfg_mean_ratio).unwrap();
    assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    let pooled_want = (shared + wr * term(&real)) / total;
    assert!((want - pooled_want).abs() > 1e-6, "{want} vs {pooled_want}");

    // With one set among the tasks, per-set is pooled: the set's kind has the whole weight.
    let tasks = training_tasks_with(0, 3, 3, &pool()).unwrap();
    let (theta, _) = common::initial_theta_and_objectives(&tasks, 10);
    let pooled = meta_loss(&theta, &tasks, &[0.0; 3], &cfg(RealKinds::Pooled)).unwrap();
    let per_set = meta_loss(&theta, &tasks, &[0.0; 3], &cfg(RealKinds::PerSet)).unwrap();
    assert_eq!(pooled, per_set);
}

#[test]
fn real_kinds_parse_print_and_default_to_pooled_in_old_configurations() {
    for k in [RealKinds::Pooled, RealKinds::PerSet] {
        assert_eq!(k.to_string().parse::<RealKinds>().unwrap(), k);
    }
    let err = "per-dataset".parse::<RealKinds>().unwrap_err();
    assert!(
        err.contains("per-dataset") && err.contains("per-set"),
        "{err}"
    );
    // A configuration written before the field existed reads as pooled.
    let mut json = serde_json::to_value(MetaTrainConfig {
        real_kinds: RealKinds::PerSet,
        ..MetaTrainConfig::default()
    })
    .unwrap();
    assert_eq!(json["real_kinds"], "per-set");
    json.as_object_mut().unwrap().remove("real_kinds");
    let old: MetaTrainConfig = serde_json::from_value(json).unwrap();
    assert_eq!(old.real_kinds, RealKinds::Pooled);
}

/// The fraction of `n` meta-training tasks of `pool`, drawn from one generator, on the set
/// `small`.
fn fraction_small(pool: &DataPool, n: usize) -> f64 {
    let mut rng = L2oRng::seed_from_u64(11);
    let small = (0..n)
        .filter(|_| {
            let task = pool.sample_training(&mut rng).unwrap();
            task.name().starts_with("mlp-real(small,")
        })
        .count();
    small as f64 / n as f64
}

#[test]
fn sampling_weights_draw_the_sets_in_proportion_and_none_is_the_uniform_draw() {
    let n = 3000;
    // Binomial standard deviation at n = 3000 is below 0.01; the bounds are ±3 of them.
    let uniform = fraction_small(&pool(), n);
    assert!((uniform - 0.5).abs() < 0.03, "uniform: {uniform}");
    let weighted = pool().with_sampling_weights(&[3.0, 1.0]).unwrap();
    assert_eq!(weighted.sampling_weights(), [3.0, 1.0]);
    let f = fraction_small(&weighted, n);
    assert!((f - 0.75).abs() < 0.03, "weights 3, 1: {f}");
    let f = fraction_small(&pool().with_sampling_weights(&[1.0, 4.0]).unwrap(), n);
    assert!((f - 0.2).abs() < 0.03, "weights 1, 4: {f}");
    // No weights again is the pool without weights, drawing bitwise the same tasks.
    let cleared = weighted.with_sampling_weights(&[]).unwrap();
    assert_eq!(cleared, pool());
    let names = |pool: &DataPool| -> Vec<String> {
        let tasks = training_tasks_with(3, 7, 9, pool).unwrap();
        tasks.iter().map(|t| t.name()).collect()
    };
    assert_eq!(names(&cleared), names(&pool()));
}

#[test]
fn bad_sampling_weights_are_rejected_by_name_in_the_pool_and_the_configuration() {
    for bad in [
        vec![1.0],
        vec![1.0, 1.0, 1.0],
        vec![1.0, 0.0],
        vec![-1.0, 1.0],
        vec![f64::NAN, 1.0],
        vec![1.0, f64::INFINITY],
    ] {
        let err = pool().with_sampling_weights(&bad).unwrap_err().to_string();
        assert!(err.contains("real_set_weights"), "{bad:?}: {err}");
        let cfg = MetaTrainConfig {
            real_data: vec!["small".into(), "large".into()],
            real_set_weights: bad.clone(),
            ..common::tiny_meta_config()
        };
        let err = meta_train_with(&cfg, &pool(), |_| {})
            .unwrap_err()
            .to_string();
        assert!(err.contains("real_set_weights"), "{bad:?}: {err}");
    }
    // Weights without real data: one per set of none.
    let cfg = MetaTrainConfig {
        real_set_weights: vec![1.0],
        ..common::tiny_meta_config()
    };
    let err = meta_train(&cfg, |_| {}).unwrap_err().to_string();
    assert!(err.contains("real_set_weights"), "{err}");
}

#[test]
fn meta_training_draws_the_sets_by_the_configured_weights_and_old_configurations_read_uniform() {
    let tiny = |real_set_weights| MetaTrainConfig {
        iterations: 2,
        pairs: 1,
        tasks: 6,
        unroll: 3,
        validate_every: 1,
        validation_tasks: 3,
        real_data: vec!["small".into(), "large".into()],
        real_set_weights,
        ..Default::default()
    };
    let losses = |cfg: &MetaTrainConfig, pool: &DataPool| -> Vec<f64> {
        let run = meta_train_with(cfg, pool, |_| {}).unwrap();
        run.records.iter().map(|r| r.meta_loss).collect()
    };
    let uniform = losses(&tiny(Vec::new()), &pool());
    // The configuration is the record of the run: a pool's own weights do not override it.
    let weighted_pool = pool().with_sampling_weights(&[1.0, 1e6]).unwrap();
    assert_eq!(losses(&tiny(Vec::new()), &weighted_pool), uniform);
    // Weights in the configuration change the tasks, and the run is reproducible with them.
    let weighted = losses(&tiny(vec![1.0, 1e6]), &pool());
    assert_ne!(weighted, uniform);
    assert_eq!(losses(&tiny(vec![1.0, 1e6]), &pool()), weighted);
    // A configuration written before the field existed reads as the uniform draw.
    let mut json = serde_json::to_value(tiny(vec![3.0, 1.0])).unwrap();
    assert_eq!(json["real_set_weights"], serde_json::json!([3.0, 1.0]));
    json.as_object_mut().unwrap().remove("real_set_weights");
    let old: MetaTrainConfig = serde_json::from_value(json).unwrap();
    assert!(old.real_set_weights.is_empty());
}
