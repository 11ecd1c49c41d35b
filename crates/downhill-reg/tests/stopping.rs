//! Early stopping on scripted metric sequences, and the best-weights snapshot.

use downhill_autograd::ParamStore;
use downhill_reg::{BestSnapshot, Decision, EarlyStopping, Goal, RegError};
use downhill_tensor::Tensor;

use Decision::{Continue, Improved, Stop};

fn run(es: &mut EarlyStopping, metrics: &[f64]) -> Vec<Decision> {
    metrics
        .iter()
        .enumerate()
        .map(|(e, &m)| es.update(e, m))
        .collect()
}

#[test]
fn min_mode_with_patience() {
    let mut es = EarlyStopping::new(Goal::Min, 3, 0.0).unwrap();
    let d = run(&mut es, &[1.0, 0.8, 0.9, 0.85, 0.7, 0.75, 0.7, 0.71, 0.6]);
    assert_eq!(
        d,
        [
            Improved, Improved, Continue, Continue, Improved, Continue, Continue, Stop, Stop
        ]
    );
    assert_eq!(es.best(), Some((4, 0.7)));
    assert!(es.stopped());
}

#[test]
fn max_mode_for_accuracy() {
    let mut es = EarlyStopping::new(Goal::Max, 2, 0.0).unwrap();
    let d = run(&mut es, &[0.5, 0.6, 0.6, 0.65, 0.64, 0.63]);
    assert_eq!(d, [Improved, Improved, Continue, Improved, Continue, Stop]);
    assert_eq!(es.best(), Some((3, 0.65)));
}

#[test]
fn min_delta_ignores_tiny_improvements() {
    let mut es = EarlyStopping::new(Goal::Min, 2, 0.01).unwrap();
    let d = run(&mut es, &[1.0, 0.995, 0.985, 0.98]);
    assert_eq!(d, [Improved, Continue, Improved, Continue]);
    assert_eq!(es.best(), Some((2, 0.985)));
    assert_eq!(es.bad_epochs(), 1);
}

#[test]
fn patience_zero_stops_at_the_first_non_improvement() {
    let mut es = EarlyStopping::new(Goal::Min, 0, 0.0).unwrap();
    assert_eq!(run(&mut es, &[3.0, 2.0, 2.0]), [Improved, Improved, Stop]);
}

#[test]
fn nan_never_improves() {
    let mut es = EarlyStopping::new(Goal::Min, 2, 0.0).unwrap();
    assert_eq!(
        run(&mut es, &[f64::NAN, 1.0, f64::NAN, f64::NAN]),
        [Continue, Improved, Continue, Stop]
    );
    assert_eq!(es.best(), Some((1, 1.0)));
}

#[test]
fn state_serializes_and_resumes_identically() {
    let metrics = [1.0, 0.9, 0.95, 0.96, 0.97, 0.5];
    let mut whole = EarlyStopping::new(Goal::Min, 3, 0.0).unwrap();
    let expected = run(&mut whole, &metrics);
    let mut first = EarlyStopping::new(Goal::Min, 3, 0.0).unwrap();
    let mut got = run(&mut first, &metrics[..3]);
    let json = serde_json::to_string(&first).unwrap();
    let mut resumed: EarlyStopping = serde_json::from_str(&json).unwrap();
    got.extend(
        metrics[3..]
            .iter()
            .enumerate()
            .map(|(i, &m)| resumed.update(i + 3, m)),
    );
    assert_eq!(got, expected);
    assert_eq!(resumed, whole);
}

#[test]
fn reset_and_settings() {
    let mut es = EarlyStopping::new(Goal::Max, 1, 0.5).unwrap();
    run(&mut es, &[1.0, 1.2]);
    assert!(es.stopped());
    es.reset();
    assert_eq!((es.best(), es.stopped(), es.bad_epochs()), (None, false, 0));
    assert_eq!(
        (es.goal(), es.patience(), es.min_delta()),
        (Goal::Max, 1, 0.5)
    );
    assert!(es.improves(0.0));
}

#[test]
fn negative_min_delta_is_an_error() {
    assert!(matches!(
        EarlyStopping::new(Goal::Min, 1, -0.1),
        Err(RegError::InvalidHyperparameter {
            name: "min_delta",
            ..
        })
    ));
    assert!(EarlyStopping::new(Goal::Min, 1, f64::NAN).is_err());
}

fn store() -> ParamStore<f64> {
    let mut s = ParamStore::new();
    s.add("0.weight", Tensor::full(&[2, 2], 1.0)).unwrap();
    s.add("0.bias", Tensor::full(&[2], 2.0)).unwrap();
    s
}

#[test]
fn snapshot_follows_early_stopping_and_restores_the_best() {
    let mut s = store();
    let mut es = EarlyStopping::new(Goal::Min, 2, 0.0).unwrap();
    let mut best = BestSnapshot::new();
    for (epoch, &loss) in [0.9, 0.5, 0.6, 0.7, 0.1].iter().enumerate() {
        for p in s.iter_mut() {
            p.value.fill(epoch as f64); // "training" writes the epoch into the weights
        }
        match es.update(epoch, loss) {
            Improved => best.save_params(epoch, loss, &s),
            Continue => {}
            Stop => break,
        }
    }
    best.restore(&mut s).unwrap();
    assert!(
        s.iter()
            .all(|p| p.value.as_slice().iter().all(|&v| v == 1.0))
    );
    assert_eq!((best.epoch(), best.metric()), (Some(1), Some(0.5)));
    assert_eq!(best.weights().len(), 2);
    let json = serde_json::to_string(&best).unwrap();
    assert_eq!(
        serde_json::from_str::<BestSnapshot<f64>>(&json).unwrap(),
        best
    );
}

#[test]
fn restore_errors_leave_the_store_untouched() {
    let mut s = store();
    assert!(BestSnapshot::<f64>::new().restore(&mut s).is_err());
    let mut snap = BestSnapshot::new();
    snap.save(
        0,
        1.0,
        vec![
            ("0.weight".to_string(), Tensor::full(&[2, 2], 7.0)),
            ("0.bias".to_string(), Tensor::full(&[3], 7.0)),
        ],
    );
    let err = snap.restore(&mut s).unwrap_err();
    assert!(err.to_string().contains("0.bias"), "{err}");
    assert_eq!(s, store());
    snap.save(
        0,
        1.0,
        vec![("1.weight".to_string(), Tensor::full(&[2, 2], 7.0))],
    );
    assert!(snap.restore(&mut s).is_err());
    assert_eq!(s, store());
}
