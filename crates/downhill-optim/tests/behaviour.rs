//! Behaviour beyond the golden trajectories: chain == fused, Nesterov's two forms, Adam's bias
//! correction, missing gradients, save/load, clipping.

use downhill_optim::{
    Adam, GradientTransformation, Hyper, OPTIMIZER_NAMES, OptimError, Optimizer, ParamMut, Sgd,
    StateDict, apply_updates, by_name, chain, clip_by_global_norm, clip_grad_norm, clip_grad_value,
    scale, scale_by_adam, scale_by_momentum,
};
use downhill_tensor::Tensor;

fn t(shape: &[usize], v: &[f64]) -> Tensor<f64> {
    Tensor::from_vec(shape, v.to_vec()).unwrap()
}

/// A gradient that depends on the parameter (an ill-conditioned quadratic) plus a drift.
fn grad_of(x: &Tensor<f64>, step: usize) -> Tensor<f64> {
    x.map(|v| v)
        .as_slice()
        .iter()
        .enumerate()
        .fold(Tensor::zeros(x.shape()), |mut g, (i, &v)| {
            g.as_mut_slice()[i] = (1.0 + 10.0 * i as f64) * v + 0.1 * ((step * 7 + i) as f64).sin();
            g
        })
}

#[test]
fn chain_composed_adam_equals_fused_adam() {
    let lr = 0.01;
    let adam = chain::<f64>(vec![
        Box::new(scale_by_adam(0.9, 0.999, 1e-8, 0.0)),
        Box::new(scale(-lr)),
    ]);
    let mut chained = vec![
        t(&[2, 3], &[0.5, -1.0, 2.0, 0.0, 1e-3, -3.0]),
        t(&[1], &[4.0]),
    ];
    let mut fused = chained.clone();
    let mut state = adam.init(&chained);
    let mut opt = Adam {
        lr,
        ..Adam::default()
    }
    .build::<f64>()
    .unwrap();
    for step in 0..100 {
        let grads: Vec<_> = chained.iter().map(|x| grad_of(x, step)).collect();
        let mut updates = grads.clone();
        adam.update(&mut updates, &mut state, &chained).unwrap();
        apply_updates(&mut chained, &updates).unwrap();
        let grads: Vec<_> = fused.iter().map(|x| grad_of(x, step)).collect();
        opt.step_tensors(&mut fused, &grads).unwrap();
        for (a, b) in chained.iter().zip(&fused) {
            assert!(
                a.max_abs_diff(b).unwrap() < 1e-12,
                "step {step}: {a:?} vs {b:?}"
            );
        }
    }
}

#[test]
fn momentum_transform_equals_sgd_momentum() {
    let tx = chain::<f64>(vec![
        Box::new(scale_by_momentum(0.9, true)),
        Box::new(scale(-0.05)),
    ]);
    let mut a = vec![t(&[3], &[1.0, -2.0, 0.5])];
    let mut b = a.clone();
    let mut state = tx.init(&a);
    let mut opt = Sgd {
        lr: 0.05,
        momentum: 0.9,
        nesterov: true,
        ..Sgd::default()
    }
    .build::<f64>()
    .unwrap();
    for step in 0..50 {
        let mut u = vec![grad_of(&a[0], step)];
        tx.update(&mut u, &mut state, &a).unwrap();
        apply_updates(&mut a, &u).unwrap();
        let g = vec![grad_of(&b[0], step)];
        opt.step_tensors(&mut b, &g).unwrap();
        assert!(a[0].max_abs_diff(&b[0]).unwrap() < 1e-12);
    }
}

/// The lecture's Sutskever form `v ← ρv − α∇f(x + ρv); x ← x + v` and PyTorch's look-ahead
/// form coincide under `y = x + ρv` (and `b = −v/α`) for a constant learning rate.
#[test]
fn pytorch_nesterov_equals_sutskever_form() {
    let (rho, alpha) = (0.9, 0.02);
    let grad = |y: &[f64]| -> Vec<f64> {
        y.iter()
            .enumerate()
            .map(|(i, v)| (1.0 + 5.0 * i as f64) * v - 1.0)
            .collect()
    };
    let (mut x, mut v) = (vec![2.0, -1.0, 0.5], vec![0.0; 3]);
    let mut y = vec![t(&[3], &x)];
    let mut opt = Sgd {
        lr: alpha,
        momentum: rho,
        nesterov: true,
        ..Sgd::default()
    }
    .build::<f64>()
    .unwrap();
    for step in 0..200 {
        let look: Vec<f64> = x.iter().zip(&v).map(|(x, v)| x + rho * v).collect();
        let g = grad(&look);
        for i in 0..3 {
            v[i] = rho * v[i] - alpha * g[i];
            x[i] += v[i];
        }
        let gy = t(&[3], &grad(y[0].as_slice()));
        opt.step_tensors(&mut y, &[gy]).unwrap();
        for i in 0..3 {
            let expected = x[i] + rho * v[i];
            assert!(
                (y[0].as_slice()[i] - expected).abs() < 1e-12,
                "step {step}: {} vs {expected}",
                y[0].as_slice()[i]
            );
        }
    }
}

/// Why Adam's bias correction matters: without it the first step is about
/// (1 − β₁)/√(1 − β₂) ≈ 3.16 times the learning rate; with it, exactly lr (up to ε).
#[test]
fn bias_correction_first_steps() {
    let (lr, b1, b2, eps) = (0.01, 0.9, 0.999, 1e-8);
    let g = 0.37;
    let mut opt = Adam {
        lr,
        ..Adam::default()
    }
    .build::<f64>()
    .unwrap();
    let mut corrected = vec![t(&[1], &[0.0])];
    let (mut x, mut m, mut v) = (0.0f64, 0.0, 0.0);
    for step in 1..=5 {
        let before = corrected[0].as_slice()[0];
        opt.step_tensors(&mut corrected, &[t(&[1], &[g])]).unwrap();
        let step_corrected = before - corrected[0].as_slice()[0];
        m = b1 * m + (1.0 - b1) * g;
        v = b2 * v + (1.0 - b2) * g * g;
        let step_uncorrected = lr * m / (v.sqrt() + eps);
        x -= step_uncorrected;
        assert!(
            (step_corrected - lr).abs() < 1e-9,
            "corrected step {step} = {step_corrected}"
        );
        if step == 1 {
            assert!((step_uncorrected / lr - (1.0 - b1) / (1.0 - b2).sqrt()).abs() < 1e-5);
            assert!(step_uncorrected > 3.0 * lr);
        }
    }
    assert!(x < -0.1, "uncorrected drifted 3x further: {x}");
}

#[test]
fn parameters_without_gradient_are_untouched_state_too() {
    for name in OPTIMIZER_NAMES {
        let mut opt = by_name::<f64>(name, &Hyper::default()).unwrap();
        let (mut a, mut b) = (t(&[2], &[1.0, 2.0]), t(&[3], &[3.0, 4.0, 5.0]));
        let (ga, gb) = (t(&[2], &[0.5, -0.5]), t(&[3], &[1.0, 1.0, 1.0]));
        opt.step(&mut [
            ParamMut::new(&mut a, &ga),
            ParamMut {
                value: &mut b,
                grad: None,
                group: 0,
            },
        ])
        .unwrap();
        assert_eq!(b.as_slice(), &[3.0, 4.0, 5.0], "{name}");
        let s = opt.state_dict();
        assert!(
            !s.scalars.contains_key("1.step"),
            "{name}: state created for a parameter without gradient"
        );
        assert!(s.scalars.contains_key("0.step"), "{name}");
        opt.step(&mut [
            ParamMut {
                value: &mut a,
                grad: None,
                group: 0,
            },
            ParamMut::new(&mut b, &gb),
        ])
        .unwrap();
        assert_eq!(opt.state_dict().scalars["0.step"], 1.0, "{name}");
        assert_eq!(opt.state_dict().scalars["1.step"], 1.0, "{name}");
    }
}

#[test]
fn save_load_continue_is_bit_for_bit_through_json() {
    for name in OPTIMIZER_NAMES {
        let hyper = Hyper {
            groups: vec![Default::default()],
            ..Hyper::default()
        };
        let mut a = by_name::<f32>(name, &hyper).unwrap();
        let mut pa = vec![Tensor::<f32>::from_vec(&[2, 2], vec![1.0, -2.0, 0.5, 0.25]).unwrap()];
        let g = |x: &Tensor<f32>, s: usize| x.map(|v| v * 0.9 + (s as f32 * 0.37).sin());
        for s in 0..7 {
            let gr = vec![g(&pa[0], s)];
            a.step_tensors(&mut pa, &gr).unwrap();
        }
        let json = serde_json::to_string(&a.state_dict()).unwrap();
        let mut b = by_name::<f32>(name, &hyper).unwrap();
        b.load_state_dict(&serde_json::from_str::<StateDict<f32>>(&json).unwrap())
            .unwrap();
        assert_eq!(b.state_dict(), a.state_dict(), "{name}");
        let mut pb = pa.clone();
        for s in 7..20 {
            let (ga, gb) = (vec![g(&pa[0], s)], vec![g(&pb[0], s)]);
            a.step_tensors(&mut pa, &ga).unwrap();
            b.step_tensors(&mut pb, &gb).unwrap();
            assert_eq!(pa, pb, "{name} diverged after reload at step {s}");
        }
    }
}

#[test]
fn shape_and_count_errors_leave_state_untouched() {
    let mut opt = Adam::default().build::<f64>().unwrap();
    let (mut a, ga) = (t(&[2], &[1.0, 2.0]), t(&[2], &[0.1, 0.1]));
    opt.step(&mut [ParamMut::new(&mut a, &ga)]).unwrap();
    let before = (opt.state_dict(), a.clone());
    let bad = t(&[3], &[1.0, 1.0, 1.0]);
    let err = opt.step(&mut [ParamMut::new(&mut a, &bad)]).unwrap_err();
    assert!(
        matches!(err, OptimError::GradShape { index: 0, .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("[3]") && err.to_string().contains("[2]"),
        "{err}"
    );
    let mut c = t(&[1], &[0.0]);
    let gc = t(&[1], &[0.0]);
    let err = opt
        .step(&mut [ParamMut::new(&mut a, &ga), ParamMut::new(&mut c, &gc)])
        .unwrap_err();
    assert!(
        matches!(err, OptimError::ParamCountChanged { before: 1, now: 2 }),
        "{err}"
    );
    let mut wrong = t(&[3], &[0.0; 3]);
    let err = opt
        .step(&mut [ParamMut::new(&mut wrong, &bad)])
        .unwrap_err();
    assert!(matches!(err, OptimError::ParamShapeChanged { .. }), "{err}");
    let err = opt
        .step(&mut [ParamMut {
            value: &mut a,
            grad: Some(&ga),
            group: 3,
        }])
        .unwrap_err();
    assert!(
        matches!(err, OptimError::NoSuchGroup { group: 3, count: 1 }),
        "{err}"
    );
    assert_eq!((opt.state_dict(), a), before);
    assert!(opt.load_state_dict(&StateDict::default()).is_err());
}

#[test]
fn clip_grad_norm_follows_pytorch() {
    let mut a = t(&[2], &[3.0, -4.0]);
    let mut b = t(&[1], &[12.0]);
    let norm = clip_grad_norm(&mut [&mut a, &mut b], 6.5, 2.0, false).unwrap();
    assert_eq!(norm, 13.0);
    let c = 6.5 / (13.0 + 1e-6);
    assert_eq!(a.as_slice(), &[3.0 * c, -4.0 * c]);
    // Infinity norm: the largest |g|; below max_norm nothing changes beyond the (<1) clamp.
    let mut d = t(&[3], &[1.0, -7.0, 2.0]);
    assert_eq!(
        clip_grad_norm(&mut [&mut d], 100.0, f64::INFINITY, false).unwrap(),
        7.0
    );
    assert_eq!(d.as_slice(), &[1.0, -7.0, 2.0]);
    // p = 1 and p = 3: the norm of the per-tensor norms.
    let (mut e, mut f) = (t(&[2], &[1.0, -2.0]), t(&[1], &[2.0]));
    assert!((clip_grad_norm(&mut [&mut e, &mut f], 1e9, 1.0, false).unwrap() - 5.0).abs() < 1e-12);
    let want3 = ((1.0f64 + 8.0) + 8.0).powf(1.0 / 3.0);
    assert!(
        (clip_grad_norm(&mut [&mut e, &mut f], 1e9, 3.0, false).unwrap() - want3).abs() < 1e-12
    );
    // Non-finite: an error when asked, gradients untouched.
    let mut n = t(&[2], &[f64::NAN, 1.0]);
    let err = clip_grad_norm(&mut [&mut n], 1.0, 2.0, true).unwrap_err();
    assert!(matches!(err, OptimError::NonFiniteNorm { .. }), "{err}");
    assert_eq!(n.as_slice()[1], 1.0);
    assert!(clip_grad_norm(&mut [&mut n], -1.0, 2.0, false).is_err());
    assert!(clip_grad_norm(&mut [&mut n], 1.0, 0.0, false).is_err());
    let mut v = t(&[3], &[-5.0, 0.5, 5.0]);
    clip_grad_value(&mut [&mut v], 1.0).unwrap();
    assert_eq!(v.as_slice(), &[-1.0, 0.5, 1.0]);
    assert!(clip_grad_value(&mut [&mut v], f64::NAN).is_err());
}

#[test]
fn clip_transform_equals_free_function() {
    let tx = clip_by_global_norm(1.0);
    let mut u = vec![t(&[2], &[3.0, 4.0])];
    let mut s = GradientTransformation::<f64>::init(&tx, &u);
    tx.update(&mut u, &mut s, &[]).unwrap();
    let mut w = t(&[2], &[3.0, 4.0]);
    clip_grad_norm(&mut [&mut w], 1.0, 2.0, false).unwrap();
    assert_eq!(u[0], w);
}

/// Tensors above the threading threshold take the rayon path: it must give bit-identical
/// results to the sequential path (here: the same data split into small tensors).
#[test]
fn threaded_path_equals_sequential_path() {
    let n = 1 << 18;
    let data: Vec<f32> = (0..n)
        .map(|i| ((i * 37 % 1001) as f32 - 500.0) * 1e-3)
        .collect();
    for name in OPTIMIZER_NAMES.iter().filter(|&&n| n != "lamb") {
        let mut big_opt = by_name::<f32>(name, &Hyper::default()).unwrap();
        let mut small_opt = by_name::<f32>(name, &Hyper::default()).unwrap();
        let mut big = vec![Tensor::from_vec(&[n], data.clone()).unwrap()];
        let mut small: Vec<Tensor<f32>> = data
            .chunks(n / 8)
            .map(|c| Tensor::from_vec(&[c.len()], c.to_vec()).unwrap())
            .collect();
        for step in 0..3 {
            let g: Vec<f32> = (0..n)
                .map(|i| ((i + step * 11) % 17) as f32 - 8.0)
                .collect();
            big_opt
                .step_tensors(&mut big, &[Tensor::from_vec(&[n], g.clone()).unwrap()])
                .unwrap();
            let gs: Vec<Tensor<f32>> = g
                .chunks(n / 8)
                .map(|c| Tensor::from_vec(&[c.len()], c.to_vec()).unwrap())
                .collect();
            small_opt.step_tensors(&mut small, &gs).unwrap();
        }
        let joined: Vec<f32> = small.iter().flat_map(|t| t.as_slice().to_vec()).collect();
        assert!(
            big[0].as_slice() == joined.as_slice(),
            "{name}: threaded and sequential paths differ"
        );
    }
}
