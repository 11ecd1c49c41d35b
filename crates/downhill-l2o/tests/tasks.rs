//! The task family: gradients checked by finite differences, seeds disjoint and reproducible.

use downhill_l2o::{
    Hidden, L2oRng, MlpTask, QuadraticTask, Synthetic, Task, held_out_groups, training_tasks,
};
use downhill_tensor::Tensor;
use rand::SeedableRng;

/// Central differences on every coordinate; relative tolerance for an O(h²) error in f64.
fn check_grad(task: &dyn Task, params: &[Tensor<f64>]) {
    let (_, grads) = task.loss_and_grad(params).unwrap();
    let h = 1e-6;
    for (k, p) in params.iter().enumerate() {
        for i in 0..p.len() {
            let mut plus = params.to_vec();
            plus[k].as_mut_slice()[i] += h;
            let mut minus = params.to_vec();
            minus[k].as_mut_slice()[i] -= h;
            let fd = (task.loss_and_grad(&plus).unwrap().0 - task.loss_and_grad(&minus).unwrap().0)
                / (2.0 * h);
            let g = grads[k].as_slice()[i];
            assert!(
                (fd - g).abs() <= 1e-6 * (1.0 + g.abs()),
                "param {k}[{i}]: fd {fd} vs {g}"
            );
        }
    }
}

fn perturbed(params: Vec<Tensor<f64>>) -> Vec<Tensor<f64>> {
    params
        .into_iter()
        .map(|p| {
            let mut q = p.clone();
            q.as_mut_slice()
                .iter_mut()
                .enumerate()
                .for_each(|(i, v)| *v += 0.1 * (i as f64).sin());
            q
        })
        .collect()
}

#[test]
fn quadratic_gradient_matches_finite_differences_and_minimum_is_zero() {
    let mut rng = L2oRng::seed_from_u64(1);
    let q = QuadraticTask::new(&mut rng, 5, 100.0, 2.0).unwrap();
    check_grad(&q, &perturbed(q.init()));
    assert!(q.loss_and_grad(&q.init()).unwrap().0 > 0.0);
    assert!(QuadraticTask::new(&mut rng, 1, 10.0, 1.0).is_err());
    assert!(QuadraticTask::new(&mut rng, 5, 0.5, 1.0).is_err());
}

#[test]
fn mlp_gradient_matches_finite_differences() {
    let mut rng = L2oRng::seed_from_u64(2);
    for data in [
        Synthetic::Blobs { dim: 3, classes: 3 },
        Synthetic::Spirals { classes: 2 },
        Synthetic::Xor,
    ] {
        let (x, y) = data.generate(&mut rng, 10);
        for hidden in [Hidden::Tanh, Hidden::Relu] {
            let task =
                MlpTask::new("t", x.clone(), y.clone(), data.classes(), &[4], hidden, 5).unwrap();
            check_grad(&task, &perturbed(task.init()));
        }
    }
}

#[test]
fn mlp_task_rejects_bad_data() {
    let x = Tensor::<f64>::zeros(&[3, 2]);
    assert!(MlpTask::new("t", x.clone(), vec![0, 1], 2, &[4], Hidden::Tanh, 0).is_err());
    assert!(MlpTask::new("t", x.clone(), vec![0, 1, 2], 2, &[4], Hidden::Tanh, 0).is_err());
    assert!(MlpTask::new("t", x, vec![0, 1, 1], 2, &[4], Hidden::Tanh, 0).is_ok());
}

#[test]
fn task_draws_are_reproducible_and_held_out_differs_from_training() {
    let names = |v: &[Box<dyn Task>]| v.iter().map(|t| t.name()).collect::<Vec<_>>();
    let a = training_tasks(0, 5, 4).unwrap();
    let b = training_tasks(0, 5, 4).unwrap();
    assert_eq!(names(&a), names(&b));
    assert_eq!(a[0].init(), b[0].init());
    assert_eq!(
        a[0].loss_and_grad(&a[0].init()).unwrap().0,
        b[0].loss_and_grad(&b[0].init()).unwrap().0
    );
    let held = held_out_groups(0, 2).unwrap();
    assert_eq!(held.len(), 4);
    let h0 = held[0].instances[0]
        .loss_and_grad(&held[0].instances[0].init())
        .unwrap()
        .0;
    for k in 0..20 {
        let t = training_tasks(0, k, 2).unwrap();
        assert_ne!(t[0].loss_and_grad(&t[0].init()).unwrap().0, h0);
    }
}
