//! The `Optimizer` contract: groups, lr, momentum, shapes, state save/restore.

use downhill_l2o::LearnedOptimizer;
use downhill_optim::{OptimError, Optimizer, ParamMut};
use downhill_tensor::Tensor;

fn grad(t: usize, n: usize) -> Tensor<f64> {
    Tensor::from_vec(
        &[n],
        (0..n).map(|i| ((t * 7 + i * 3) as f64).sin()).collect(),
    )
    .unwrap()
}

fn run(opt: &mut LearnedOptimizer<f64>, params: &mut [Tensor<f64>], from: usize, to: usize) {
    for t in from..to {
        opt.step_tensors(params, &[grad(t, 3), grad(t + 1, 2)])
            .unwrap();
    }
}

#[test]
fn save_load_continue_equals_never_stopping() {
    let mut a = LearnedOptimizer::<f64>::shipped().unwrap();
    let mut pa = vec![Tensor::<f64>::ones(&[3]), Tensor::<f64>::zeros(&[2])];
    run(&mut a, &mut pa, 0, 10);
    let json = serde_json::to_string(&a.state_dict()).unwrap();
    let mut pb = pa.clone();
    run(&mut a, &mut pa, 10, 20);
    let mut b = LearnedOptimizer::<f64>::shipped().unwrap();
    b.load_state_dict(&serde_json::from_str(&json).unwrap())
        .unwrap();
    run(&mut b, &mut pb, 10, 20);
    assert_eq!(pa, pb);
    assert!(a.state_dict().tensors.contains_key("1.m_0.9"));
    assert!(a.state_dict().tensors.contains_key("0.rms_0.999"));
    assert_eq!(a.state_dict().scalars["0.step"], 20.0);
}

#[test]
fn bad_state_is_rejected_and_leaves_the_optimizer_unchanged() {
    let mut a = LearnedOptimizer::<f64>::shipped().unwrap();
    let mut pa = vec![Tensor::<f64>::ones(&[3]), Tensor::<f64>::zeros(&[2])];
    run(&mut a, &mut pa, 0, 3);
    let before = a.state_dict();
    let mut broken = before.clone();
    broken.tensors.remove("1.m_0.5");
    assert!(matches!(
        a.load_state_dict(&broken),
        Err(OptimError::BadState(_))
    ));
    let mut broken = before.clone();
    broken.scalars.insert("group.0.lr".into(), -1.0);
    assert!(a.load_state_dict(&broken).is_err());
    assert_eq!(a.state_dict(), before);
}

#[test]
fn hyperparameters_groups_and_name() {
    let mut o = LearnedOptimizer::<f32>::shipped().unwrap();
    assert_eq!(o.name(), "learned");
    assert_eq!(o.num_groups(), 1);
    assert_eq!(o.lr(0), 1.0);
    assert!(o.lr(1).is_nan());
    o.set_lr(0, 0.5).unwrap();
    assert_eq!(o.lr(0), 0.5);
    assert!(o.set_lr(0, -1.0).is_err());
    assert!(o.set_lr(0, f64::NAN).is_err());
    assert!(matches!(
        o.set_lr(1, 0.1),
        Err(OptimError::NoSuchGroup { .. })
    ));
    assert_eq!(o.momentum(0), None);
    assert!(matches!(
        o.set_momentum(0, 0.9),
        Err(OptimError::NoMomentum { .. })
    ));
}

#[test]
fn shape_count_and_group_errors() {
    let mut o = LearnedOptimizer::<f64>::shipped().unwrap();
    let mut p = vec![Tensor::<f64>::ones(&[3])];
    let err = o.step_tensors(&mut p, &[Tensor::ones(&[2])]).unwrap_err();
    assert!(matches!(err, OptimError::GradShape { index: 0, .. }));
    o.step_tensors(&mut p, &[Tensor::ones(&[3])]).unwrap();
    let mut q = vec![Tensor::<f64>::ones(&[4])];
    assert!(matches!(
        o.step_tensors(&mut q, &[Tensor::ones(&[4])]),
        Err(OptimError::ParamShapeChanged { .. })
    ));
    let mut two = vec![Tensor::<f64>::ones(&[3]), Tensor::<f64>::ones(&[3])];
    let g = [Tensor::ones(&[3]), Tensor::ones(&[3])];
    assert!(matches!(
        o.step_tensors(&mut two, &g),
        Err(OptimError::ParamCountChanged { .. })
    ));
    let (mut v, g) = (Tensor::<f64>::ones(&[3]), Tensor::<f64>::ones(&[3]));
    let mut handles = [ParamMut {
        value: &mut v,
        grad: Some(&g),
        group: 1,
    }];
    assert!(matches!(
        o.step(&mut handles),
        Err(OptimError::NoSuchGroup { group: 1, .. })
    ));
}

#[test]
fn parameters_without_gradient_are_untouched() {
    let mut o = LearnedOptimizer::<f64>::shipped().unwrap();
    let (mut a, mut b) = (Tensor::<f64>::ones(&[2]), Tensor::<f64>::ones(&[2]));
    let g = Tensor::<f64>::from_vec(&[2], vec![1.0, -1.0]).unwrap();
    let mut handles = [
        ParamMut::new(&mut a, &g),
        ParamMut {
            value: &mut b,
            grad: None,
            group: 0,
        },
    ];
    o.step(&mut handles).unwrap();
    assert_ne!(a, Tensor::ones(&[2]));
    assert_eq!(b, Tensor::ones(&[2]));
    let s = o.state_dict();
    assert_eq!(s.scalars["0.step"], 1.0);
    assert_eq!(s.scalars["1.step"], 0.0);
}

#[test]
fn lr_scales_the_step() {
    let step = |lr: f64| {
        let mut o = LearnedOptimizer::<f64>::shipped().unwrap();
        o.set_lr(0, lr).unwrap();
        let mut p = vec![Tensor::<f64>::zeros(&[3])];
        o.step_tensors(&mut p, &[grad(1, 3)]).unwrap();
        p.remove(0)
    };
    let (one, half) = (step(1.0), step(0.5));
    for (a, b) in one.as_slice().iter().zip(half.as_slice()) {
        assert!((a * 0.5 - b).abs() < 1e-15);
    }
    assert!(one.as_slice().iter().any(|v| *v != 0.0));
}
