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
