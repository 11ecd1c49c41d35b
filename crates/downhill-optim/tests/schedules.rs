//! Schedules against `torch.optim.lr_scheduler` (fixture: `tools/golden/optim_schedules.py`):
//! the lr (and momentum/beta1) of both groups after construction and after each of 120 steps,
//! to 1e-12 relative.

use downhill_optim::{Adam, GroupOverrides, Optimizer, ScheduleConfig, Sgd};
use serde_json::Value;

fn load() -> Value {
    let path = format!(
        "{}/tests/golden/optim_schedules.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn optimizer(kind: &str) -> Box<dyn Optimizer<f64>> {
    let groups = vec![GroupOverrides {
        lr: Some(0.03),
        weight_decay: None,
    }];
    match kind {
        "sgd" => Box::new(
            Sgd {
                lr: 0.1,
                momentum: 0.9,
                ..Sgd::default()
            }
            .with_groups(groups)
            .build()
            .unwrap(),
        ),
        _ => Box::new(
            Adam {
                lr: 0.1,
                ..Adam::default()
            }
            .with_groups(groups)
            .build()
            .unwrap(),
        ),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1e-300) || a == b
}

fn observed(opt: &dyn Optimizer<f64>) -> (Vec<f64>, Vec<f64>) {
    (0..2)
        .map(|g| (opt.lr(g), opt.momentum(g).unwrap()))
        .unzip()
}

fn run_case(case: &Value) -> Result<(), String> {
    let cfg: ScheduleConfig =
        serde_json::from_value(case["config"].clone()).map_err(|e| e.to_string())?;
    let mut opt = optimizer(case["optimizer"].as_str().unwrap());
    let mut sched = cfg.build(opt.as_mut()).map_err(|e| e.to_string())?;
    let lrs = case["lrs"].as_array().unwrap();
    let moms = case["momenta"].as_array().unwrap();
    let metrics = case["metrics"].as_array().unwrap();
    for (t, (want_lr, want_m)) in lrs.iter().zip(moms).enumerate() {
        if t > 0 {
            let metric = metrics.get(t - 1).and_then(Value::as_f64);
            sched
                .step(opt.as_mut(), metric)
                .map_err(|e| e.to_string())?;
        }
        let (lr, m) = observed(opt.as_ref());
        for g in 0..2 {
            let (wl, wm) = (want_lr[g].as_f64().unwrap(), want_m[g].as_f64().unwrap());
            if !close(lr[g], wl) || !close(m[g], wm) {
                return Err(format!(
                    "step {t} group {g}: lr {} vs torch {wl}, momentum {} vs {wm}",
                    lr[g], m[g]
                ));
            }
        }
    }
    Ok(())
}

#[test]
fn schedules_match_torch_step_for_step() {
    let doc = load();
    let cases = doc["cases"].as_array().unwrap();
    assert!(doc["steps"].as_u64().unwrap() >= 100);
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| run_case(c).err().map(|e| format!("{}: {e}", c["config"])))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} schedules off:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_schedule_appears_in_the_fixture() {
    let doc = load();
    let mut names: Vec<&str> = doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["config"]["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut all = downhill_optim::SCHEDULE_NAMES.to_vec();
    all.sort_unstable();
    assert_eq!(names, all);
}

#[test]
fn schedule_state_round_trips_through_json() {
    let doc = load();
    for case in doc["cases"].as_array().unwrap() {
        let cfg: ScheduleConfig = serde_json::from_value(case["config"].clone()).unwrap();
        let metrics: Vec<f64> = case["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_f64().unwrap())
            .collect();
        let metric = |t: usize| metrics.get(t).copied().or(Some(0.0));
        let (mut a, mut b) = (
            optimizer(case["optimizer"].as_str().unwrap()),
            optimizer(case["optimizer"].as_str().unwrap()),
        );
        let mut sa = cfg.build(a.as_mut()).unwrap();
        for t in 0..50 {
            sa.step(a.as_mut(), metric(t)).unwrap();
        }
        // Save both the schedule and the optimizer, restore into fresh ones, continue.
        let saved = serde_json::to_string(&sa.state_json()).unwrap();
        let opt_state = serde_json::to_string(&a.state_dict()).unwrap();
        let mut sb = cfg.build(b.as_mut()).unwrap();
        sb.load_state_json(&serde_json::from_str(&saved).unwrap())
            .unwrap();
        b.load_state_dict(&serde_json::from_str(&opt_state).unwrap())
            .unwrap();
        for t in 50..100 {
            sa.step(a.as_mut(), metric(t)).unwrap();
            sb.step(b.as_mut(), metric(t)).unwrap();
            assert_eq!(
                observed(a.as_ref()),
                observed(b.as_ref()),
                "{}",
                case["config"]
            );
            assert_eq!(sa.last_lr(), sb.last_lr());
        }
    }
}
