//! The trainer: learning, history files, non-finite handling, clipping, penalties, schedules,
//! constraints, early stopping, callbacks and configuration errors.

use downhill::autograd::{ParamId, Tape, Var};
use downhill::data::{Dataset, blobs};
use downhill::layers::{Forward, Linear};
use downhill::optim::{Hyper, ScheduleConfig};
use downhill::reg::Penalty;
use downhill::{
    Activation, Callback, Control, DefaultRng, EarlyStoppingConfig, EpochRecord, Error, History,
    LayerSpec, Loss, Module, NanPolicy, NetSpec, Network, TrainConfig, Trainer, evaluate,
};
use downhill::{Monitor, Tensor};
use rand::SeedableRng;

fn rng(seed: u64) -> DefaultRng {
    DefaultRng::seed_from_u64(seed)
}

fn three_blobs(seed: u64) -> Dataset<f32> {
    blobs(
        60,
        &[[0.0, 0.0], [3.0, 3.0], [-3.0, 3.0]],
        0.6,
        &mut rng(seed),
    )
    .unwrap()
}

fn mlp() -> Network<f32> {
    let spec = NetSpec::mlp(2, &[16], 3, Activation::Relu, None);
    Network::from_spec(&spec, &mut rng(0)).unwrap()
}

fn config(epochs: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: 16,
        hyper: Hyper {
            lr: Some(0.01),
            ..Hyper::default()
        },
        progress: false,
        ..TrainConfig::default()
    }
}

/// Records without the wall-clock time, for reproducibility comparisons.
fn timeless(h: &History) -> Vec<EpochRecord> {
    h.epochs
        .iter()
        .map(|r| EpochRecord {
            wall_time_s: 0.0,
            ..r.clone()
        })
        .collect()
}

fn weights(net: &Network<f32>) -> Vec<Vec<f32>> {
    net.params()
        .iter()
        .map(|p| p.value.as_slice().to_vec())
        .collect()
}

#[test]
fn training_learns_blobs_and_records_history() {
    let (train, val) = (three_blobs(1), three_blobs(2));
    let mut net = mlp();
    let mut trainer = Trainer::new(config(15)).unwrap();
    let h = trainer
        .fit(&mut net, &train, Some(&val), &mut [])
        .unwrap()
        .clone();
    assert_eq!(h.epochs.len(), 15);
    assert_eq!(trainer.epoch(), 15);
    assert_eq!(trainer.steps(), 15 * 180usize.div_ceil(16) as u64);
    let (first, last) = (&h.epochs[0], h.last().unwrap());
    assert!(
        last.train_loss < 0.5 * first.train_loss,
        "{first:?} → {last:?}"
    );
    assert!(last.val_accuracy.unwrap() > 0.95, "{last:?}");
    assert_eq!(last.lr, 0.01);
    assert!(
        h.epochs
            .iter()
            .all(|r| r.grad_norm > 0.0 && r.skipped_steps == 0)
    );
    let ev = evaluate(&mut net, &val, &trainer.config().loss).unwrap();
    assert_eq!(Some(ev.loss), last.val_loss);
    assert_eq!(Some(ev.accuracy), last.val_accuracy);
    let (best_epoch, best) = h.best_val_accuracy().unwrap();
    assert!(best >= last.val_accuracy.unwrap() && best_epoch >= 1);

    let dir = tempfile::tempdir().unwrap();
    h.write(dir.path()).unwrap();
    let jsonl = std::fs::read_to_string(dir.path().join("history.jsonl")).unwrap();
    let parsed: Vec<EpochRecord> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(parsed, h.epochs);
    let csv = std::fs::read_to_string(dir.path().join("history.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr,grad_norm,skipped_steps,wall_time_s"
    );
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(row.len(), 9);
    assert_eq!(row[1].parse::<f64>().unwrap(), first.train_loss);
    assert_eq!(lines.count(), 14);
    // Without a validation set the validation columns are empty.
    let mut t = Trainer::new(config(1)).unwrap();
    let h = t.fit(&mut mlp(), &train, None, &mut []).unwrap();
    assert!(h.to_csv().lines().nth(1).unwrap().contains(",,,"));
}

#[test]
fn same_seed_same_run_bit_for_bit() {
    let train = three_blobs(1);
    let run = |seed| {
        let mut net = mlp();
        let mut t = Trainer::new(TrainConfig { seed, ..config(3) }).unwrap();
        let h = t
            .fit(&mut net, &train, Some(&train), &mut [])
            .unwrap()
            .clone();
        (timeless(&h), weights(&net))
    };
    assert_eq!(run(4), run(4));
    assert_ne!(run(4).1, run(5).1, "the seed drives shuffling");
}

#[test]
fn non_finite_loss_stops_with_epoch_and_step() {
    let mut train = three_blobs(1);
    train.features_mut().as_mut_slice()[2 * 40] = f32::INFINITY;
    let mut t = Trainer::new(TrainConfig {
        batch_size: 200,
        ..config(3)
    })
    .unwrap();
    let mut net = mlp();
    let before = weights(&net);
    let e = t.fit(&mut net, &train, None, &mut []).unwrap_err();
    assert!(
        matches!(
            e,
            Error::NonFinite {
                what: "loss",
                epoch: 1,
                step: 1,
                param: None
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("epoch 1, step 1"), "{e}");
    assert_eq!(weights(&net), before, "no update from a bad step");

    let mut t = Trainer::new(TrainConfig {
        batch_size: 200,
        nan_policy: NanPolicy::SkipStep,
        ..config(3)
    })
    .unwrap();
    let h = t.fit(&mut net, &train, None, &mut []).unwrap();
    assert_eq!(h.epochs.len(), 3);
    assert!(h.epochs.iter().all(|r| r.skipped_steps == 1));
    assert_eq!(weights(&net), before, "every step skipped");
}

/// `y = x + 0·√p` with `p = 0`: a finite output whose gradient for `p` is `0·∞ = NaN`.
struct Poison {
    p: ParamId,
}

impl Module<f32> for Poison {
    fn describe(&self) -> String {
        "Poison".into()
    }
    fn forward(
        &mut self,
        tape: &mut Tape<f32>,
        x: Var,
        _: &mut Forward<'_>,
    ) -> downhill::Result<Var> {
        let p = tape.param(self.p)?;
        let r = tape.sqrt(p)?;
        let z = tape.scale(r, 0.0)?;
        Ok(tape.add(x, z)?)
    }
}

#[test]
fn non_finite_gradient_names_the_parameter() {
    let mut net = Network::<f32>::new(2);
    net.push(|s, pre| {
        Ok(Box::new(Linear::new(
            s,
            pre,
            2,
            3,
            None,
            true,
            &mut rng(0),
        )?))
    })
    .unwrap();
    net.push(|s, pre| {
        let p = s.add(format!("{pre}p"), Tensor::zeros(&[3]))?;
        Ok(Box::new(Poison { p }))
    })
    .unwrap();
    let mut t = Trainer::new(TrainConfig {
        batch_size: 64,
        ..config(2)
    })
    .unwrap();
    let e = t.fit(&mut net, &three_blobs(1), None, &mut []).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("gradient") && msg.contains("step 1") && msg.contains("\"1.p\""),
        "{msg}"
    );
}

#[test]
fn gradient_clipping_bounds_each_step() {
    let train = three_blobs(1);
    let mut net = mlp();
    let before = weights(&net);
    let mut t = Trainer::new(TrainConfig {
        optimizer: "sgd".into(),
        hyper: Hyper {
            lr: Some(1.0),
            ..Hyper::default()
        },
        batch_size: 1000,
        clip_grad_norm: Some(1e-3),
        ..config(1)
    })
    .unwrap();
    let h = t.fit(&mut net, &train, None, &mut []).unwrap();
    assert!(
        h.epochs[0].grad_norm > 1e-3,
        "records the norm before clipping"
    );
    let step: f64 = before
        .iter()
        .flatten()
        .zip(weights(&net).iter().flatten())
        .map(|(a, b)| ((a - b) as f64).powi(2))
        .sum::<f64>()
        .sqrt();
    assert!(
        (step - 1e-3).abs() < 1e-6,
        "one SGD step of length lr·clip, got {step}"
    );
}

#[test]
fn l2_penalty_under_sgd_equals_weight_decay() {
    // Bias-free, so the penalty (weights only) and weight decay (all parameters) agree.
    let spec = NetSpec {
        input: 2,
        layers: vec![
            LayerSpec::Linear {
                out: 8,
                init: None,
                bias: false,
            },
            LayerSpec::Activation {
                kind: Activation::Tanh,
            },
            LayerSpec::Linear {
                out: 3,
                init: None,
                bias: false,
            },
        ],
    };
    let train = three_blobs(1);
    let run = |penalty, wd| {
        let mut net = Network::<f32>::from_spec(&spec, &mut rng(0)).unwrap();
        let mut t = Trainer::new(TrainConfig {
            optimizer: "sgd".into(),
            hyper: Hyper {
                lr: Some(0.1),
                weight_decay: wd,
                ..Hyper::default()
            },
            penalty,
            ..config(3)
        })
        .unwrap();
        let h = t.fit(&mut net, &train, None, &mut []).unwrap().clone();
        (h, weights(&net))
    };
    let (h_pen, w_pen) = run(Some(Penalty::l2(0.05).unwrap()), None);
    let (h_wd, w_wd) = run(None, Some(0.1));
    let (h_none, w_none) = run(None, None);
    for (a, b) in w_pen.iter().flatten().zip(w_wd.iter().flatten()) {
        assert!((a - b).abs() < 1e-5, "{a} vs {b}");
    }
    let norm = |w: &[Vec<f32>]| w.iter().flatten().map(|v| v * v).sum::<f32>();
    assert!(norm(&w_pen) < norm(&w_none));
    // The recorded loss includes the penalty term.
    assert!(h_pen.epochs[0].train_loss > h_wd.epochs[0].train_loss);
    assert!(h_none.epochs[0].train_loss < h_wd.epochs[0].train_loss);
}

#[test]
fn schedule_sets_the_learning_rate_per_epoch() {
    let sched: ScheduleConfig =
        serde_json::from_str(r#"{"name": "steplr", "step_size": 1, "gamma": 0.5}"#).unwrap();
    let mut t = Trainer::new(TrainConfig {
        optimizer: "sgd".into(),
        hyper: Hyper {
            lr: Some(0.1),
            ..Hyper::default()
        },
        schedule: Some(sched),
        ..config(3)
    })
    .unwrap();
    let h = t.fit(&mut mlp(), &three_blobs(1), None, &mut []).unwrap();
    let lrs: Vec<f64> = h.epochs.iter().map(|r| r.lr).collect();
    assert_eq!(lrs, [0.1, 0.05, 0.025]);
}

#[test]
fn max_norm_constrains_every_unit() {
    let mut net = mlp();
    let mut t = Trainer::new(TrainConfig {
        hyper: Hyper {
            lr: Some(0.1),
            ..Hyper::default()
        },
        max_norm: Some(0.5),
        ..config(3)
    })
    .unwrap();
    t.fit(&mut net, &three_blobs(1), None, &mut []).unwrap();
    for p in net.params().iter().filter(|p| p.name.ends_with("weight")) {
        let cols = p.value.shape()[1];
        for row in p.value.as_slice().chunks(cols) {
            let n = row.iter().map(|v| v * v).sum::<f32>().sqrt();
            assert!(n <= 0.5 + 1e-5, "{}: row norm {n}", p.name);
        }
    }
}

#[test]
fn early_stopping_stops_and_restores_the_best_weights() {
    // Validation accuracy on separable blobs saturates within a few epochs: training stops.
    let (train, val) = (three_blobs(1), three_blobs(2));
    let mut net = mlp();
    let mut t = Trainer::new(TrainConfig {
        hyper: Hyper {
            lr: Some(0.05),
            ..Hyper::default()
        },
        early_stopping: Some(EarlyStoppingConfig {
            patience: 2,
            monitor: Monitor::ValAccuracy,
            ..EarlyStoppingConfig::default()
        }),
        ..config(40)
    })
    .unwrap();
    let h = t
        .fit(&mut net, &train, Some(&val), &mut [])
        .unwrap()
        .clone();
    assert!(
        h.epochs.len() < 40,
        "stopped after {} epochs",
        h.epochs.len()
    );
    let (best_epoch, best) = h.best_val_accuracy().unwrap();
    assert_eq!(
        h.epochs.len(),
        best_epoch + 2,
        "patience 2 after the best epoch"
    );
    let now = evaluate(&mut net, &val, &t.config().loss).unwrap();
    assert_eq!(now.accuracy, best);
    assert_eq!(
        Some(now.loss),
        h.epochs[best_epoch - 1].val_loss,
        "best weights restored"
    );
    let mut t = Trainer::new(TrainConfig {
        early_stopping: Some(EarlyStoppingConfig::default()),
        ..config(2)
    })
    .unwrap();
    let e = t.fit(&mut mlp(), &train, None, &mut []).unwrap_err();
    assert!(e.to_string().contains("early_stopping"), "{e}");
}

struct StopAt(usize, Vec<usize>);

impl Callback<f32> for StopAt {
    fn on_epoch_end(&mut self, r: &EpochRecord, _: &mut Network<f32>) -> downhill::Result<Control> {
        self.1.push(r.epoch);
        Ok(if r.epoch >= self.0 {
            Control::Stop
        } else {
            Control::Continue
        })
    }
}

#[test]
fn callbacks_see_every_epoch_and_can_stop() {
    let mut cb = StopAt(3, Vec::new());
    let mut t = Trainer::new(config(10)).unwrap();
    let h = t
        .fit(&mut mlp(), &three_blobs(1), None, &mut [&mut cb])
        .unwrap();
    assert_eq!(h.epochs.len(), 3);
    assert_eq!(cb.1, [1, 2, 3]);
}

#[test]
fn bad_configs_and_data_are_named_errors() {
    let cases: Vec<(TrainConfig, &str)> = vec![
        (
            TrainConfig {
                epochs: 0,
                ..config(1)
            },
            "epochs",
        ),
        (
            TrainConfig {
                batch_size: 0,
                ..config(1)
            },
            "batch_size",
        ),
        (
            TrainConfig {
                clip_grad_norm: Some(-1.0),
                ..config(1)
            },
            "clip_grad_norm",
        ),
        (
            TrainConfig {
                loss: Loss::CrossEntropy {
                    label_smoothing: 1.5,
                },
                ..config(1)
            },
            "label_smoothing",
        ),
        (
            TrainConfig {
                optimizer: "adamm".into(),
                ..config(1)
            },
            "adamm",
        ),
        (
            TrainConfig {
                hyper: Hyper {
                    lr: Some(-0.1),
                    ..Hyper::default()
                },
                ..config(1)
            },
            "lr",
        ),
        (
            TrainConfig {
                hyper: Hyper {
                    betas: Some((0.9, 1.0)),
                    ..Hyper::default()
                },
                ..config(1)
            },
            "beta",
        ),
        (
            TrainConfig {
                max_norm: Some(0.0),
                ..config(1)
            },
            "max_norm",
        ),
    ];
    for (cfg, needle) in cases {
        let e = Trainer::<f32>::new(cfg).unwrap_err().to_string();
        assert!(e.contains(needle), "{needle}: {e}");
    }
    let mut t = Trainer::new(config(1)).unwrap();
    let wrong = blobs::<f32>(5, &[[0.0, 0.0]; 4], 1.0, &mut rng(0)).unwrap();
    let e = t
        .fit(&mut mlp(), &wrong, None, &mut [])
        .unwrap_err()
        .to_string();
    assert!(e.contains("4 classes") && e.contains("3 outputs"), "{e}");
    let wide = Dataset::new(Tensor::<f32>::zeros(&[4, 5]), vec![0; 4], 1).unwrap();
    let e = t
        .fit(&mut mlp(), &wide, None, &mut [])
        .unwrap_err()
        .to_string();
    assert!(e.contains("5 features"), "{e}");
    let mut t = Trainer::new(TrainConfig {
        augmentation: vec![downhill::reg::Augmentation::by_name("translate").unwrap()],
        ..config(1)
    })
    .unwrap();
    let e = t
        .fit(&mut mlp(), &three_blobs(0), None, &mut [])
        .unwrap_err();
    assert!(e.to_string().contains("augmentation"), "{e}");
    assert!(
        Trainer::<f32>::new(config(1))
            .unwrap()
            .set_epochs(0)
            .is_err()
    );
}

#[test]
fn augmentation_trains_on_image_data() {
    let mut digits = downhill::data::load_bundled::<f32>("digits").unwrap();
    digits.scale_features(1.0 / 16.0);
    let small = digits.subset(&(0..200).collect::<Vec<_>>()).unwrap();
    let spec = NetSpec::mlp(64, &[32], 10, Activation::Relu, None);
    let mut net = Network::<f32>::from_spec(&spec, &mut rng(0)).unwrap();
    let aug = ["translate", "gaussian_noise"]
        .iter()
        .map(|n| downhill::reg::Augmentation::by_name(n).unwrap())
        .collect();
    let mut t = Trainer::new(TrainConfig {
        augmentation: aug,
        ..config(2)
    })
    .unwrap();
    let h = t.fit(&mut net, &small, Some(&small), &mut []).unwrap();
    assert_eq!(h.epochs.len(), 2);
    assert!(h.epochs.iter().all(|r| r.train_loss.is_finite()));
}
