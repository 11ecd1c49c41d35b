//! Penalties: values, gradients (finite differences away from 0), tape terms, filters, errors.

use downhill_autograd::{GradCheckOptions, ParamStore, Tape, check_gradients};
use downhill_reg::{ParamFilter, Penalty, PenaltyTransform, RegError};
use downhill_tensor::Tensor;
use proptest::prelude::*;

fn t(shape: &[usize], v: &[f64]) -> Tensor<f64> {
    Tensor::from_vec(shape, v.to_vec()).unwrap()
}

fn all_penalties() -> [Penalty; 3] {
    [
        Penalty::l2(0.3).unwrap(),
        Penalty::l1(0.7).unwrap(),
        Penalty::elastic_net(0.2, 0.05).unwrap(),
    ]
}

#[test]
fn values_by_hand() {
    let w = t(&[2, 2], &[1.0, -2.0, 0.0, 0.5]);
    assert!((Penalty::l2(0.5).unwrap().value(&w).unwrap() - 0.5 * 5.25).abs() < 1e-12);
    assert!((Penalty::l1(0.5).unwrap().value(&w).unwrap() - 0.5 * 3.5).abs() < 1e-12);
    let en = Penalty::elastic_net(0.1, 0.2).unwrap();
    assert!((en.value(&w).unwrap() - (0.35 + 0.2 * 5.25)).abs() < 1e-12);
}

#[test]
fn gradients_by_hand_with_l1_subgradient_zero_at_zero() {
    let w = t(&[3], &[2.0, 0.0, -1.0]);
    let g = Penalty::elastic_net(0.5, 0.25)
        .unwrap()
        .gradient(&w)
        .unwrap();
    assert_eq!(g.as_slice(), &[0.5 + 1.0, 0.0, -0.5 - 0.5]);
    // The tape's abs has the same subgradient at 0.
    let mut tape = Tape::<f64>::new();
    let v = tape.input(w.clone());
    let r = Penalty::l1(1.0).unwrap().loss_term(&mut tape, v).unwrap();
    tape.backward(r).unwrap();
    assert_eq!(tape.grad(v).unwrap().unwrap().as_slice(), &[1.0, 0.0, -1.0]);
}

#[test]
fn slide_elastic_net_is_l1_one_l2_beta() {
    // Slide: β‖W‖² + ‖W‖₁.
    let w = t(&[4], &[0.3, -1.0, 2.0, 0.0]);
    let beta = 0.4;
    let slide = beta * w.as_slice().iter().map(|x| x * x).sum::<f64>()
        + w.as_slice().iter().map(|x| x.abs()).sum::<f64>();
    let ours = Penalty::elastic_net(1.0, beta).unwrap().value(&w).unwrap();
    assert!((slide - ours).abs() < 1e-12);
}

#[test]
fn loss_term_equals_value_and_gradient() {
    let w = t(&[2, 3], &[0.5, -1.5, 2.0, -0.25, 1.0, 3.0]);
    for p in all_penalties() {
        let mut tape = Tape::<f64>::new();
        let v = tape.input(w.clone());
        let r = p.loss_term(&mut tape, v).unwrap();
        let value = tape.value(r).unwrap().item().unwrap();
        assert!((value - p.value(&w).unwrap()).abs() < 1e-12, "{p:?}");
        tape.backward(r).unwrap();
        let g = tape.grad(v).unwrap().unwrap();
        assert!(
            g.max_abs_diff(&p.gradient(&w).unwrap()).unwrap() < 1e-12,
            "{p:?}"
        );
    }
}

fn away_from_zero() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec((0.05f64..3.0, any::<bool>()), 6).prop_map(|v| {
        v.into_iter()
            .map(|(x, neg)| if neg { -x } else { x })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn loss_term_passes_gradient_check(values in away_from_zero(), which in 0usize..3) {
        let p = all_penalties()[which];
        let w = t(&[2, 3], &values);
        check_gradients(&[("w", w)], GradCheckOptions::default(), |tape, v| {
            Ok(p.loss_term(tape, v[0])?)
        }).unwrap();
    }

    #[test]
    fn analytic_gradient_matches_finite_differences(values in away_from_zero(), which in 0usize..3) {
        let p = all_penalties()[which];
        let w = t(&[6], &values);
        let g = p.gradient(&w).unwrap();
        for i in 0..6 {
            let (mut a, mut b) = (w.clone(), w.clone());
            a.as_mut_slice()[i] += 1e-6;
            b.as_mut_slice()[i] -= 1e-6;
            let numeric = (p.value(&a).unwrap() - p.value(&b).unwrap()) / 2e-6;
            prop_assert!((numeric - g.as_slice()[i]).abs() < 1e-6);
        }
    }
}

fn store() -> ParamStore<f64> {
    let mut s = ParamStore::new();
    s.add("0.weight", Tensor::full(&[2, 2], 2.0)).unwrap();
    s.add("0.bias", Tensor::full(&[2], 3.0)).unwrap();
    s.add("1.weight", Tensor::full(&[2], 4.0)).unwrap(); // a norm scale: rank 1
    s.add("2.weight", Tensor::full(&[1, 2], -1.0)).unwrap();
    s
}

#[test]
fn loss_over_params_penalizes_only_selected() {
    let mut tape = Tape::with_params(store());
    let p = Penalty::l2(0.5).unwrap();
    let r = p
        .loss_over_params(&mut tape, &ParamFilter::default())
        .unwrap();
    // 0.5·(4·4) + 0.5·(2·1)
    assert_eq!(tape.value(r).unwrap().item().unwrap(), 9.0);
    tape.backward(r).unwrap();
    let grads: Vec<_> = tape
        .params()
        .iter()
        .map(|p| (p.has_grad, p.grad.as_slice()[0]))
        .collect();
    assert_eq!(
        grads,
        [(true, 2.0), (false, 0.0), (false, 0.0), (true, -1.0)]
    );
    assert_eq!(
        p.value_over_params(tape.params(), &ParamFilter::default())
            .unwrap(),
        9.0
    );
    let all = p
        .value_over_params(tape.params(), &ParamFilter::All)
        .unwrap();
    assert_eq!(all, 9.0 + 0.5 * 18.0 + 0.5 * 32.0);
    let named = p
        .value_over_params(tape.params(), &ParamFilter::names(["0.bias"]))
        .unwrap();
    assert_eq!(named, 9.0);
}

#[test]
fn nothing_selected_is_a_zero_constant() {
    let mut tape = Tape::with_params(store());
    let r = Penalty::l1(1.0)
        .unwrap()
        .loss_over_params(&mut tape, &ParamFilter::names(Vec::<String>::new()))
        .unwrap();
    assert_eq!(tape.value(r).unwrap().item().unwrap(), 0.0);
}

#[test]
fn add_gradients_to_params_marks_and_accumulates() {
    let mut s = store();
    s.iter_mut().next().unwrap().grad.fill(1.0);
    s.iter_mut().next().unwrap().has_grad = true;
    let filter = ParamFilter::predicate(|name, _| name.starts_with('0'));
    Penalty::l2(0.25)
        .unwrap()
        .add_gradients_to_params(&mut s, &filter)
        .unwrap();
    let p: Vec<_> = s
        .iter()
        .map(|p| (p.has_grad, p.grad.as_slice()[0]))
        .collect();
    assert_eq!(p, [(true, 2.0), (true, 1.5), (false, 0.0), (false, 0.0)]);
}

#[test]
fn transform_and_apply_to_grads() {
    let (w, b) = (Tensor::full(&[2, 2], 2.0), Tensor::full(&[2], -1.0));
    let (mut gw, mut gb) = (Tensor::<f64>::full(&[2, 2], 1.0), Tensor::full(&[2], 1.0));
    let p = Penalty::elastic_net(0.5, 0.25).unwrap();
    PenaltyTransform::new(p)
        .apply_to_grads(&[&w, &b], &mut [&mut gw, &mut gb])
        .unwrap();
    assert_eq!(gw.as_slice(), &[2.5; 4]);
    assert_eq!(gb.as_slice(), &[0.0; 2]);
    let bad = PenaltyTransform {
        penalty: p,
        mask: Some(vec![true]),
    };
    assert!(
        bad.apply_to_grads(&[&w, &b], &mut [&mut gw, &mut gb])
            .is_err()
    );
    assert!(p.apply_to_grads(&[&w], &mut [&mut gw, &mut gb]).is_err());
    assert!(p.apply_to_grads(&[&w], &mut [&mut gb]).is_err());
    assert_eq!(gw.as_slice(), &[2.5; 4]);
}

#[test]
fn negative_or_nan_strengths_are_errors() {
    assert!(matches!(
        Penalty::l2(-0.1),
        Err(RegError::InvalidHyperparameter { name: "lambda", .. })
    ));
    assert!(Penalty::l1(f64::NAN).is_err());
    assert!(Penalty::elastic_net(0.1, -1.0).is_err());
    assert!(Penalty::elastic_net(-0.1, 1.0).is_err());
    let deserialized: Penalty = serde_json::from_str(r#"{"kind":"l2","lambda":-1.0}"#).unwrap();
    assert!(deserialized.value(&Tensor::<f64>::zeros(&[1])).is_err());
    assert!(Penalty::l2(0.0).is_ok());
}

#[test]
fn nan_parameters_are_errors_and_leave_state_untouched() {
    let p = Penalty::l2(0.1).unwrap();
    let w = t(&[2], &[1.0, f64::NAN]);
    assert!(matches!(p.value(&w), Err(RegError::NonFinite { .. })));
    let mut g = Tensor::zeros(&[2]);
    assert!(p.add_gradient(&w, &mut g).is_err());
    assert_eq!(g.as_slice(), &[0.0, 0.0]);
    let mut tape = Tape::<f64>::new();
    let v = tape.input(w);
    assert!(p.loss_term(&mut tape, v).is_err());

    let mut s = store();
    s.iter_mut().last().unwrap().value.as_mut_slice()[0] = f64::NAN;
    let err = p
        .add_gradients_to_params(&mut s, &ParamFilter::default())
        .unwrap_err();
    assert!(err.to_string().contains("2.weight"), "{err}");
    assert!(s.iter().all(|p| !p.has_grad));
    let mut tape = Tape::with_params(s);
    assert!(
        p.loss_over_params(&mut tape, &ParamFilter::default())
            .is_err()
    );
}

#[test]
fn serde_round_trip() {
    for p in all_penalties() {
        let s = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<Penalty>(&s).unwrap(), p);
    }
    let s = serde_json::to_string(&Penalty::elastic_net(0.1, 0.2).unwrap()).unwrap();
    assert_eq!(s, r#"{"kind":"elastic_net","l1":0.1,"l2":0.2}"#);
}

#[test]
fn works_in_f32() {
    let w = Tensor::<f32>::from_vec(&[2], vec![1.0, -2.0]).unwrap();
    assert_eq!(Penalty::l2(0.5).unwrap().value(&w).unwrap(), 2.5);
    assert_eq!(
        Penalty::l2(0.5).unwrap().gradient(&w).unwrap().as_slice(),
        &[1.0, -2.0]
    );
}
