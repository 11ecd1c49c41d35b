//! An L2 penalty versus decoupled weight decay (Loshchilov & Hutter 2019), with a small
//! hand-written Adam so the test depends on nothing but the penalty.

use downhill_reg::{Penalty, PenaltyTransform};
use downhill_tensor::Tensor;

/// Adam (Kingma & Ba 2015) with optional decoupled weight decay (AdamW), on one f64 tensor.
struct Adam {
    lr: f64,
    wd: f64,
    m: Vec<f64>,
    v: Vec<f64>,
    t: i32,
}

impl Adam {
    fn new(lr: f64, decoupled_wd: f64, n: usize) -> Self {
        Self {
            lr,
            wd: decoupled_wd,
            m: vec![0.0; n],
            v: vec![0.0; n],
            t: 0,
        }
    }

    fn step(&mut self, w: &mut Tensor<f64>, g: &Tensor<f64>) {
        let (b1, b2, eps) = (0.9, 0.999, 1e-8);
        self.t += 1;
        for (i, (x, &gi)) in w.as_mut_slice().iter_mut().zip(g.as_slice()).enumerate() {
            *x -= self.lr * self.wd * *x; // decoupled: not seen by the moments
            self.m[i] = b1 * self.m[i] + (1.0 - b1) * gi;
            self.v[i] = b2 * self.v[i] + (1.0 - b2) * gi * gi;
            let m_hat = self.m[i] / (1.0 - b1.powi(self.t));
            let v_hat = self.v[i] / (1.0 - b2.powi(self.t));
            *x -= self.lr * m_hat / (v_hat.sqrt() + eps);
        }
    }
}

/// The data loss ½‖w − c‖², whose gradient is w − c.
fn data_grad(w: &Tensor<f64>) -> Tensor<f64> {
    let c = Tensor::from_vec(&[3], vec![1.0, -2.0, 0.5]).unwrap();
    w.sub(&c).unwrap()
}

fn start() -> Tensor<f64> {
    Tensor::from_vec(&[3], vec![100.0, 0.1, -3.0]).unwrap()
}

#[test]
fn under_sgd_an_l2_penalty_is_weight_decay() {
    // λ‖w‖² has gradient 2λw: SGD with weight decay wd = 2λ takes identical steps.
    let (lr, lambda) = (0.05, 0.1);
    let penalty = PenaltyTransform::new(Penalty::l2(lambda).unwrap());
    let (mut a, mut b) = (start(), start());
    for _ in 0..50 {
        let mut g = data_grad(&a);
        penalty.apply_to_grads(&[&a], &mut [&mut g]).unwrap();
        a.scaled_add(-lr, &g).unwrap();
        let g = data_grad(&b);
        b.scale_inplace(1.0 - lr * 2.0 * lambda);
        b.scaled_add(-lr, &g).unwrap();
    }
    assert!(a.max_abs_diff(&b).unwrap() < 1e-12);
}

#[test]
fn under_adam_an_l2_penalty_is_not_decoupled_weight_decay() {
    let (lr, wd) = (0.01, 0.1);
    let penalty = PenaltyTransform::new(Penalty::l2(wd / 2.0).unwrap()); // gradient wd·w
    let mut l2 = (start(), Adam::new(lr, 0.0, 3));
    let mut adamw = (start(), Adam::new(lr, wd, 3));

    // With no data gradient, the first step shows the mechanism: Adam normalizes the L2
    // gradient wd·w to its sign, so every weight moves by lr whatever its size; decoupled decay
    // shrinks each weight in proportion, w ← (1 − lr·wd)·w, then Adam sees a zero gradient.
    let zero = Tensor::zeros(&[3]);
    let mut g = zero.clone();
    penalty.apply_to_grads(&[&l2.0], &mut [&mut g]).unwrap();
    l2.1.step(&mut l2.0, &g);
    adamw.1.step(&mut adamw.0, &zero);
    let moved_l2: Vec<f64> = l2.0.sub(&start()).unwrap().into_vec();
    let moved_w: Vec<f64> = adamw.0.sub(&start()).unwrap().into_vec();
    for (i, &x) in start().as_slice().iter().enumerate() {
        assert!(
            (moved_l2[i].abs() - lr).abs() < 1e-6,
            "L2 under Adam moves every weight by lr"
        );
        assert!(
            (moved_w[i] + lr * wd * x).abs() < 1e-12,
            "AdamW shrinks proportionally"
        );
    }
    // The large weight (100): decoupled decay moves it 10x more than the L2 penalty does;
    // the small one (0.1): the L2 penalty moves it 100x more.
    assert!(moved_w[0].abs() > 9.0 * moved_l2[0].abs());
    assert!(moved_l2[1].abs() > 90.0 * moved_w[1].abs());

    // With a data gradient, the trajectories keep differing.
    for _ in 0..200 {
        let mut g = data_grad(&l2.0);
        penalty.apply_to_grads(&[&l2.0], &mut [&mut g]).unwrap();
        l2.1.step(&mut l2.0, &g);
        let g = data_grad(&adamw.0);
        adamw.1.step(&mut adamw.0, &g);
    }
    assert!(l2.0.max_abs_diff(&adamw.0).unwrap() > 1e-3);
}

mod with_downhill_optim {
    use super::{Adam as HandAdam, data_grad, start};
    use downhill_optim::{
        Adam, AdamW, GradientTransformation, Optimizer, add_decayed_weights, apply_updates, chain,
        scale, scale_by_adam,
    };
    use downhill_reg::{ParamFilter, Penalty, PenaltyTransform};
    use downhill_tensor::Tensor;

    const LR: f64 = 0.01;
    const WD: f64 = 0.1;

    /// Runs a chain for `steps` steps on the data loss from `start()`.
    fn run_chain(parts: Vec<Box<dyn GradientTransformation<f64>>>, steps: usize) -> Tensor<f64> {
        let opt = chain(parts);
        let mut params = vec![start()];
        let mut state = opt.init(&params);
        for _ in 0..steps {
            let mut updates = vec![data_grad(&params[0])];
            opt.update(&mut updates, &mut state, &params).unwrap();
            apply_updates(&mut params, &updates).unwrap();
        }
        params.pop().unwrap()
    }

    fn run_optimizer(opt: &mut dyn Optimizer<f64>, steps: usize) -> Tensor<f64> {
        let mut params = vec![start()];
        for _ in 0..steps {
            let g = data_grad(&params[0]);
            opt.step_tensors(&mut params, &[g]).unwrap();
        }
        params.pop().unwrap()
    }

    fn l2_chain() -> Vec<Box<dyn GradientTransformation<f64>>> {
        vec![
            Box::new(PenaltyTransform::new(Penalty::l2(WD / 2.0).unwrap())),
            Box::new(scale_by_adam(0.9, 0.999, 1e-8, 0.0)),
            Box::new(scale(-LR)),
        ]
    }

    #[test]
    fn penalty_before_adam_is_torch_adam_weight_decay() {
        let ours = run_chain(l2_chain(), 100);
        let mut torch_adam = Adam {
            lr: LR,
            weight_decay: WD,
            ..Adam::default()
        }
        .build()
        .unwrap();
        let theirs = run_optimizer(&mut torch_adam, 100);
        assert!(ours.max_abs_diff(&theirs).unwrap() < 1e-10);
        // And the hand-written Adam with the penalty's gradient agrees too.
        let (mut w, mut adam) = (start(), HandAdam::new(LR, 0.0, 3));
        let penalty = PenaltyTransform::new(Penalty::l2(WD / 2.0).unwrap());
        for _ in 0..100 {
            let mut g = data_grad(&w);
            penalty.apply_to_grads(&[&w], &mut [&mut g]).unwrap();
            adam.step(&mut w, &g);
        }
        assert!(ours.max_abs_diff(&w).unwrap() < 1e-10);
    }

    #[test]
    fn decay_after_adam_is_adamw_and_differs_from_the_penalty() {
        let decoupled = run_chain(
            vec![
                Box::new(scale_by_adam(0.9, 0.999, 1e-8, 0.0)),
                Box::new(add_decayed_weights(WD)),
                Box::new(scale(-LR)),
            ],
            100,
        );
        let mut adamw = AdamW {
            lr: LR,
            weight_decay: WD,
            ..AdamW::default()
        }
        .build()
        .unwrap();
        assert!(
            decoupled
                .max_abs_diff(&run_optimizer(&mut adamw, 100))
                .unwrap()
                < 1e-10
        );
        let coupled = run_chain(l2_chain(), 100);
        assert!(decoupled.max_abs_diff(&coupled).unwrap() > 1e-3);
    }

    #[test]
    fn transform_respects_the_filter_and_reports_optim_errors() {
        let t = PenaltyTransform::from_filter(
            Penalty::l1(1.0).unwrap(),
            &ParamFilter::default(),
            &[("0.weight", &[1, 2]), ("0.bias", &[2])],
        );
        let params = vec![Tensor::<f64>::full(&[1, 2], -3.0), Tensor::full(&[2], -3.0)];
        let mut state = GradientTransformation::<f64>::init(&t, &params);
        let mut updates = vec![Tensor::zeros(&[1, 2]), Tensor::zeros(&[2])];
        t.update(&mut updates, &mut state, &params).unwrap();
        assert_eq!(updates[0].as_slice(), &[-1.0, -1.0]);
        assert_eq!(updates[1].as_slice(), &[0.0, 0.0]);
        assert_eq!(state.count, 1);
        let mut short = vec![Tensor::zeros(&[1, 2])];
        assert!(t.update(&mut short, &mut state, &params[..1]).is_err());
        let mut wrong = vec![Tensor::zeros(&[2, 1]), Tensor::zeros(&[2])];
        assert!(t.update(&mut wrong, &mut state, &params).is_err());
        let nan = vec![Tensor::full(&[1, 2], f64::NAN), Tensor::full(&[2], 1.0)];
        let err = t.update(&mut updates, &mut state, &nan).unwrap_err();
        assert!(err.to_string().contains("NaN"), "{err}");
        assert_eq!(updates[0].as_slice(), &[-1.0, -1.0], "untouched on error");
    }
}
