//! Finite, bounded updates for extreme gradients; NaN and infinite gradients rejected.

use std::sync::Arc;

use downhill_l2o::{
    DIRECTION_BOUND, LOG_MAGNITUDE_RANGE, LearnedNet, LearnedOptimizer, STEP_SCALE,
};
use downhill_optim::{OptimError, Optimizer};
use downhill_tensor::{Element, Tensor};

fn bound() -> f64 {
    STEP_SCALE * LOG_MAGNITUDE_RANGE.1.exp() * DIRECTION_BOUND
}

fn nets() -> Vec<Arc<LearnedNet>> {
    let mut wild = LearnedNet::shipped().unwrap().to_flat();
    // A network with huge weights: outputs saturate the clamps, updates must stay bounded.
    wild.iter_mut()
        .enumerate()
        .for_each(|(i, w)| *w = if i % 3 == 0 { 1e6 } else { -1e6 * *w });
    vec![
        Arc::new(LearnedNet::shipped().unwrap()),
        Arc::new(LearnedNet::from_flat(&wild).unwrap()),
    ]
}

fn check_extremes<E: Element>() {
    for net in nets() {
        for g in [0.0, 1e-30, -1e-30, 1e30, -1e30] {
            let mut opt = LearnedOptimizer::<E>::new(net.clone());
            let mut params = vec![Tensor::<E>::from_vec(&[4], vec![E::of(0.5); 4]).unwrap()];
            let grad = Tensor::<E>::from_vec(&[4], vec![E::of(g), E::of(g), E::zero(), E::of(1.0)])
                .unwrap();
            for _ in 0..5 {
                let before = params[0].clone();
                opt.step_tensors(&mut params, std::slice::from_ref(&grad))
                    .unwrap();
                let step = params[0].max_abs_diff(&before).unwrap().as_f64();
                assert!(params[0].all_finite(), "g = {g}: non-finite parameter");
                // One rounding of E on top of the f64 bound.
                assert!(
                    step <= bound() * (1.0 + 1e-6),
                    "g = {g}: step {step} > bound {}",
                    bound()
                );
            }
            let state = opt.state_dict();
            assert!(
                state.tensors.values().all(Tensor::all_finite),
                "g = {g}: non-finite state"
            );
        }
    }
}

#[test]
fn extreme_gradients_give_finite_bounded_updates_f32() {
    check_extremes::<f32>();
}

#[test]
fn extreme_gradients_give_finite_bounded_updates_f64() {
    check_extremes::<f64>();
}

#[test]
fn zero_lr_freezes_parameters() {
    // The shipped network's direction for an all-zero input is its bias, which may be nonzero;
    // what must hold is that the step is finite and bounded, and that lr = 0 freezes it.
    let mut opt = LearnedOptimizer::<f64>::shipped().unwrap();
    opt.set_lr(0, 0.0).unwrap();
    let mut params = vec![Tensor::<f64>::ones(&[3])];
    opt.step_tensors(&mut params, &[Tensor::zeros(&[3])])
        .unwrap();
    assert_eq!(params[0], Tensor::ones(&[3]));
}

#[test]
fn non_finite_gradients_are_rejected_and_nothing_changes() {
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut opt = LearnedOptimizer::<f64>::shipped().unwrap();
        let mut params = vec![Tensor::<f64>::ones(&[2]), Tensor::<f64>::ones(&[3])];
        let good = [Tensor::<f64>::ones(&[2]), Tensor::<f64>::ones(&[3])];
        opt.step_tensors(&mut params, &good).unwrap();
        let (p_before, s_before) = (params.clone(), opt.state_dict());
        let grads = [
            Tensor::<f64>::ones(&[2]),
            Tensor::from_vec(&[3], vec![1.0, bad, 1.0]).unwrap(),
        ];
        let err = opt.step_tensors(&mut params, &grads).unwrap_err();
        match &err {
            OptimError::InvalidHyperparameter { name, .. } => assert_eq!(*name, "grad"),
            other => panic!("unexpected error {other:?}"),
        }
        assert!(err.to_string().contains("finite"), "{err}");
        assert_eq!(params, p_before);
        assert_eq!(opt.state_dict(), s_before);
    }
}

/// The direction is a mix of `m̂_β/r̂` ratios, so once the gradient has vanished the steps
/// vanish with it, whatever the weights (the first version's steps did not shrink: it could
/// write its direction from signs and tensor-normalized gradients, and stalled on quadratics).
#[test]
fn steps_vanish_when_the_gradient_vanishes() {
    for net in nets() {
        let mut opt = LearnedOptimizer::<f64>::new(net);
        let mut params = vec![Tensor::<f64>::zeros(&[3])];
        let one = Tensor::<f64>::from_vec(&[3], vec![1.0, -0.5, 0.25]).unwrap();
        for _ in 0..30 {
            opt.step_tensors(&mut params, std::slice::from_ref(&one))
                .unwrap();
        }
        let zero = Tensor::<f64>::zeros(&[3]);
        for _ in 0..3000 {
            opt.step_tensors(&mut params, std::slice::from_ref(&zero))
                .unwrap();
        }
        let before = params[0].clone();
        opt.step_tensors(&mut params, std::slice::from_ref(&zero))
            .unwrap();
        let step = params[0].max_abs_diff(&before).unwrap();
        assert!(step < 1e-9, "step {step} after the gradient vanished");
    }
}
