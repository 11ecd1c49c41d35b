//! The oscillation features (inputs 21–23 of a 24-input network): their values, the zero-row
//! widening that leaves a 21-input network's updates unchanged, saving and loading, state,
//! and a warm-started meta-training run.

mod common;

use std::sync::Arc;

use common::{patch, state_round_trips_and_rejects, tiny_meta_config};
use downhill_l2o::{
    DataPool, EXTENDED_FEATURES, LearnedNet, LearnedOptimizer, MetaTrainConfig, NUM_FEATURES,
    QuadraticTask, meta_train, meta_train_from, unroll,
};
use downhill_optim::Optimizer;
use downhill_tensor::Tensor;
use rand::SeedableRng;

fn wide_random() -> LearnedNet {
    let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(7);
    let mut net = LearnedNet::initial_with_inputs(&mut rng, 0.1, EXTENDED_FEATURES).unwrap();
    // Give the new inputs weight, so that the tests below see them act.
    net.w1
        .rows_mut()
        .into_iter()
        .skip(NUM_FEATURES)
        .for_each(|mut r| r.fill(0.5));
    net.skip
        .rows_mut()
        .into_iter()
        .skip(NUM_FEATURES)
        .for_each(|mut r| r.fill(0.3));
    net
}

#[test]
fn a_widened_network_steps_bitwise_like_the_original() {
    let shipped = LearnedNet::shipped().unwrap();
    let wide = shipped.clone().with_inputs(EXTENDED_FEATURES).unwrap();
    assert_eq!(wide.inputs(), EXTENDED_FEATURES);
    assert_eq!(wide.growth_limit, shipped.growth_limit);
    assert_eq!(wide.reversal_shrink, shipped.reversal_shrink);
    let task =
        QuadraticTask::sample(&mut rand::rngs::Xoshiro256PlusPlus::seed_from_u64(3)).unwrap();
    let run = |net: LearnedNet| {
        let mut opt = LearnedOptimizer::<f64>::new(Arc::new(net));
        unroll(&task, &mut opt, 40).unwrap()
    };
    assert_eq!(run(shipped), run(wide));
}

#[test]
fn the_features_move_the_update_and_are_kept_in_state() {
    // g, −g, g, …: every step after the first reverses against the fast momentum (cosine −1;
    // the first has no momentum, cosine 0), so c̄_t = 0.9·c̄_{t−1} + 0.1·cos_t.
    let g = Tensor::<f64>::from_vec(&[3], vec![1.0, -2.0, 0.5]).unwrap();
    let neg = g.map(|v| -v);
    let mut opt = LearnedOptimizer::<f64>::new(Arc::new(wide_random()));
    let mut p = vec![Tensor::<f64>::ones(&[3])];
    let mut expected = 0.0;
    for t in 0..6 {
        let grad = if t % 2 == 0 { &g } else { &neg };
        opt.observe_loss(1.0 + t as f64).unwrap();
        opt.step_tensors(&mut p, std::slice::from_ref(grad))
            .unwrap();
        // Step 1: no momentum yet, cosine 0.
        let cos = if t == 0 { 0.0 } else { -1.0 };
        expected = 0.9 * expected + 0.1 * cos;
        let s = opt.state_dict();
        assert!((s.scalars["0.cos_average"] - expected).abs() < 1e-12);
    }
    // Losses 1, 2, …, 6: the last change is (6 − a)/(6 + a) with a the average of 1..5.
    let mut a = 1.0;
    for l in 2..6 {
        a = 0.9 * a + 0.1 * l as f64;
    }
    let s = opt.state_dict();
    assert!((s.scalars["loss_change"] - (6.0 - a) / (6.0 + a)).abs() < 1e-12);
    state_round_trips_and_rejects(Arc::new(wide_random()), &s, "0.cos_average", -1.5);
    state_round_trips_and_rejects(Arc::new(wide_random()), &s, "loss_change", 2.0);

    // The same gradients with a different loss history give a different update: the loss
    // change is an input of this network.
    let step_after = |losses: [f64; 2]| {
        let mut opt = LearnedOptimizer::<f64>::new(Arc::new(wide_random()));
        let mut p = vec![Tensor::<f64>::ones(&[3])];
        for l in losses {
            opt.observe_loss(l).unwrap();
            opt.step_tensors(&mut p, std::slice::from_ref(&g)).unwrap();
        }
        p[0].clone()
    };
    assert_ne!(step_after([1.0, 0.5]), step_after([1.0, 2.0]));
}

#[test]
fn wide_weights_round_trip_and_are_checked() {
    let net = wide_random()
        .with_growth_limit(Some(1.2))
        .unwrap()
        .with_reversal_shrink(Some(0.85))
        .unwrap();
    let bytes = net.to_safetensors(&Default::default()).unwrap();
    let (back, meta) = LearnedNet::from_safetensors(&bytes).unwrap();
    assert_eq!(back, net);
    assert!(meta["architecture"].starts_with("mlp 24-32-32-5"));
    assert!(meta["features"].ends_with("ema_0.9(cos),loss_change"));
    // A 24-input header over a 21-input file's tensors: the shape error names the tensor.
    let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(7);
    let mut narrow = LearnedNet::initial_with_inputs(&mut rng, 0.1, NUM_FEATURES)
        .unwrap()
        .to_safetensors(&Default::default())
        .unwrap();
    patch(
        &mut narrow,
        b"mlp 21-32-32-5 relu, linear skip 21",
        b"mlp 24-32-32-5 relu, linear skip 24",
    );
    let err = LearnedNet::from_safetensors(&narrow)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("tensor w1") && err.contains("[24, 32]"),
        "{err}"
    );
    // An input count this build does not know.
    let mut odd = bytes.clone();
    patch(
        &mut odd,
        b"mlp 24-32-32-5 relu, linear skip 24",
        b"mlp 23-32-32-5 relu, linear skip 23",
    );
    let err = LearnedNet::from_safetensors(&odd).unwrap_err().to_string();
    assert!(err.contains("architecture"), "{err}");
}

#[test]
fn extreme_gradients_stay_finite_with_the_features() {
    for g in [0.0, 1e-30, -1e30, 1e30] {
        let mut opt = LearnedOptimizer::<f32>::new(Arc::new(wide_random()));
        let mut p = vec![Tensor::<f32>::ones(&[4])];
        let grad = Tensor::<f32>::from_vec(&[4], vec![g as f32, g as f32, 0.0, 1.0]).unwrap();
        for (t, loss) in [1e30, 0.0, -1e30, 1.0].into_iter().enumerate() {
            opt.observe_loss(loss).unwrap();
            let grad = if t % 2 == 0 {
                grad.clone()
            } else {
                grad.map(|v| -v)
            };
            opt.step_tensors(&mut p, &[grad]).unwrap();
            assert!(p[0].all_finite(), "g = {g}");
        }
    }
}

#[test]
fn meta_training_with_the_features_and_a_warm_start() {
    let cfg = MetaTrainConfig {
        oscillation_features: true,
        growth_limit: Some(1.2),
        ..tiny_meta_config()
    };
    let scratch = meta_train(&cfg, |_| {}).unwrap();
    assert_eq!(scratch.net.inputs(), EXTENDED_FEATURES);
    assert_eq!(scratch.net.growth_limit, Some(1.2));
    // From the shipped weights: widened, the run's rules replace the file's.
    let warm = meta_train_from(
        &cfg,
        &DataPool::default(),
        Some(LearnedNet::shipped().unwrap()),
        |_| {},
    )
    .unwrap();
    assert_eq!(warm.net.inputs(), EXTENDED_FEATURES);
    assert_eq!(warm.net.reversal_shrink, None);
    // One ES step from the shipped weights moves every meta-parameter by at most about
    // meta_lr (Adam's first step), the new rows included.
    let start = LearnedNet::shipped()
        .unwrap()
        .with_inputs(EXTENDED_FEATURES)
        .unwrap()
        .to_flat();
    let moved = warm.net.to_flat();
    let max = start
        .iter()
        .zip(&moved)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(max > 0.0 && max <= cfg.meta_lr * 1.01, "{max}");
    // A 24-input start cannot be narrowed to a 21-input run.
    let narrow = MetaTrainConfig {
        oscillation_features: false,
        ..cfg
    };
    let err = meta_train_from(&narrow, &DataPool::default(), Some(scratch.net), |_| {})
        .unwrap_err()
        .to_string();
    assert!(err.contains("inputs"), "{err}");
}
