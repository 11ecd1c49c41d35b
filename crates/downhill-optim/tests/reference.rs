//! Slow scalar reference implementations, written from the papers' equations one element at a
//! time, property-tested against the fused optimizers on random shapes and hyperparameters.

use downhill_optim::{Hyper, Optimizer, by_name};
use downhill_tensor::Tensor;
use proptest::prelude::*;

/// All hyperparameters any optimizer here uses.
#[derive(Clone, Debug)]
struct P {
    lr: f64,
    b1: f64,
    b2: f64,
    eps: f64,
    wd: f64,
    flag: bool,
    maximize: bool,
}

/// Per-element state.
#[derive(Clone, Default)]
struct S {
    m: f64,
    v: f64,
    w: f64,
}

/// One reference step of one element at step t ≥ 1; `mu_prod` is NAdam's product of μ.
fn reference(name: &str, p: &P, t: f64, x: &mut f64, g: f64, s: &mut S, mu_prod: f64) {
    let g = if p.maximize { -g } else { g };
    let l2 = g + p.wd * *x; // the gradient with an L2 penalty
    match name {
        "sgd" => {
            // Heavy ball (b1 = μ) with PyTorch's first buffer b₁ = g; flag = Nesterov.
            s.m = if t == 1.0 { l2 } else { p.b1 * s.m + l2 };
            let d = if p.flag { l2 + p.b1 * s.m } else { s.m };
            *x -= p.lr * d;
        }
        "adagrad" => {
            s.v += l2 * l2;
            *x -= p.lr * l2 / (s.v.sqrt() + p.eps);
        }
        "adadelta" => {
            s.v = p.b1 * s.v + (1.0 - p.b1) * l2 * l2;
            let dx = (s.m + p.eps).sqrt() / (s.v + p.eps).sqrt() * l2;
            s.m = p.b1 * s.m + (1.0 - p.b1) * dx * dx;
            *x -= p.lr * dx;
        }
        "rmsprop" => {
            // b1 = α; flag = centered.
            s.v = p.b1 * s.v + (1.0 - p.b1) * l2 * l2;
            s.m = p.b1 * s.m + (1.0 - p.b1) * l2;
            let var = if p.flag { s.v - s.m * s.m } else { s.v };
            *x -= p.lr * l2 / (var.sqrt() + p.eps);
        }
        "adam" | "adamw" => {
            // flag = AMSGrad.
            let decoupled = name == "adamw";
            let g = if decoupled { g } else { l2 };
            if decoupled {
                *x *= 1.0 - p.lr * p.wd;
            }
            s.m = p.b1 * s.m + (1.0 - p.b1) * g;
            s.v = p.b2 * s.v + (1.0 - p.b2) * g * g;
            s.w = if p.flag { s.w.max(s.v) } else { s.v };
            let m_hat = s.m / (1.0 - p.b1.powf(t));
            let v_hat = s.w / (1.0 - p.b2.powf(t));
            *x -= p.lr * m_hat / (v_hat.sqrt() + p.eps);
        }
        "nadam" => {
            let mu = |k: f64| p.b1 * (1.0 - 0.5 * 0.96f64.powf(k * 4e-3));
            s.m = p.b1 * s.m + (1.0 - p.b1) * l2;
            s.v = p.b2 * s.v + (1.0 - p.b2) * l2 * l2;
            let d = (s.v / (1.0 - p.b2.powf(t))).sqrt() + p.eps;
            let (mu_t, mu_next) = (mu(t), mu(t + 1.0));
            *x -= p.lr * (1.0 - mu_t) / (1.0 - mu_prod) * l2 / d
                + p.lr * mu_next / (1.0 - mu_prod * mu_next) * s.m / d;
        }
        "radam" => {
            s.m = p.b1 * s.m + (1.0 - p.b1) * l2;
            s.v = p.b2 * s.v + (1.0 - p.b2) * l2 * l2;
            let m_hat = s.m / (1.0 - p.b1.powf(t));
            let rho_inf = 2.0 / (1.0 - p.b2) - 1.0;
            let rho = rho_inf - 2.0 * t * p.b2.powf(t) / (1.0 - p.b2.powf(t));
            if rho > 5.0 {
                let r = ((rho - 4.0) * (rho - 2.0) * rho_inf
                    / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho))
                    .sqrt();
                let l = (1.0 - p.b2.powf(t)).sqrt() / (s.v.sqrt() + p.eps);
                *x -= p.lr * m_hat * r * l;
            } else {
                *x -= p.lr * m_hat;
            }
        }
        "adamax" => {
            s.m = p.b1 * s.m + (1.0 - p.b1) * l2;
            s.v = (p.b2 * s.v).max(l2.abs() + p.eps);
            *x -= p.lr / (1.0 - p.b1.powf(t)) * s.m / s.v;
        }
        "lion" => {
            let c = (1.0 - p.b1) * g + p.b1 * s.m;
            let u = if c > 0.0 {
                1.0
            } else if c < 0.0 {
                -1.0
            } else {
                0.0
            };
            s.m = p.b2 * s.m + (1.0 - p.b2) * g;
            *x -= p.lr * (u + p.wd * *x);
        }
        _ => unreachable!("{name}"),
    }
}

fn hyper(name: &str, p: &P) -> Hyper {
    let mut h = Hyper {
        lr: Some(p.lr),
        maximize: Some(p.maximize),
        ..Hyper::default()
    };
    h.weight_decay = Some(p.wd);
    match name {
        "sgd" => (h.momentum, h.nesterov) = (Some(p.b1), Some(p.flag)),
        "adagrad" => h.eps = Some(p.eps),
        "adadelta" => (h.rho, h.eps) = (Some(p.b1), Some(p.eps)),
        "rmsprop" => (h.alpha, h.eps, h.centered) = (Some(p.b1), Some(p.eps), Some(p.flag)),
        "adam" | "adamw" => {
            (h.betas, h.eps, h.amsgrad) = (Some((p.b1, p.b2)), Some(p.eps), Some(p.flag))
        }
        "nadam" | "radam" | "adamax" => (h.betas, h.eps) = (Some((p.b1, p.b2)), Some(p.eps)),
        "lion" => h.betas = Some((p.b1, p.b2)),
        _ => unreachable!(),
    }
    h
}

const NAMES: [&str; 10] = [
    "sgd", "adagrad", "adadelta", "rmsprop", "adam", "adamw", "nadam", "radam", "adamax", "lion",
];

fn params() -> impl Strategy<Value = P> {
    (
        1e-3..0.1f64,
        0.5..0.99f64,
        0.9..0.9999f64,
        prop::sample::select(vec![1e-8, 1e-6, 1e-3]),
        prop::sample::select(vec![0.0, 0.05]),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(lr, b1, b2, eps, wd, flag, maximize)| P {
            lr,
            b1,
            b2,
            eps,
            wd,
            flag,
            maximize,
        })
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn fused_lamb_equals_the_scalar_reference(
        p in params(),
        n in 1usize..9,
        seed in any::<u64>(),
    ) {
        lamb_matches(&p, n, seed)?;
    }

    #[test]
    fn fused_optimizers_equal_the_scalar_reference(
        which in 0..NAMES.len(),
        p in params(),
        shape in prop::collection::vec(1usize..5, 1..3),
        seed in any::<u64>(),
    ) {
        let name = NAMES[which];
        let n: usize = shape.iter().product();
        let mut opt: Box<dyn Optimizer<f64>> = by_name(name, &hyper(name, &p)).unwrap();
        // A cheap deterministic pseudo-random sequence (splitmix64).
        let mut z = seed;
        let mut rnd = move || { z = z.wrapping_add(0x9E3779B97F4A7C15); let mut v = z; v = (v ^ (v >> 30)).wrapping_mul(0xBF58476D1CE4E5B9); v = (v ^ (v >> 27)).wrapping_mul(0x94D049BB133111EB); ((v ^ (v >> 31)) >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0 };
        let x0: Vec<f64> = (0..n).map(|_| rnd()).collect();
        let mut fast = vec![Tensor::from_vec(&shape, x0.clone()).unwrap()];
        let (mut slow, mut state) = (x0, vec![S::default(); n]);
        let mut mu_prod = 1.0;
        for t in 1..=12 {
            let g: Vec<f64> = (0..n).map(|_| rnd() * 3.0).collect();
            opt.step_tensors(&mut fast, &[Tensor::from_vec(&shape, g.clone()).unwrap()]).unwrap();
            let tf = t as f64;
            mu_prod *= p.b1 * (1.0 - 0.5 * 0.96f64.powf(tf * 4e-3));
            for i in 0..n {
                reference(name, &p, tf, &mut slow[i], g[i], &mut state[i], mu_prod);
            }
            for (a, b) in fast[0].as_slice().iter().zip(&slow) {
                prop_assert!(close(*a, *b), "{name} step {t}: fused {a} vs reference {b} ({p:?})");
            }
        }
    }
}

/// LAMB (You et al. 2020, as optax): Adam's direction plus decoupled decay, scaled per tensor by
/// the trust ratio ‖x‖/‖u‖.
fn lamb_matches(p: &P, n: usize, seed: u64) -> Result<(), TestCaseError> {
    let h = Hyper {
        lr: Some(p.lr),
        betas: Some((p.b1, p.b2)),
        eps: Some(p.eps),
        weight_decay: Some(p.wd),
        ..Hyper::default()
    };
    let mut opt = by_name::<f64>("lamb", &h).unwrap();
    let val =
        |i: usize, t: usize| ((seed % 1000) as f64 * 0.001 + i as f64 * 1.3 + t as f64 * 0.7).sin();
    let mut slow: Vec<f64> = (0..n).map(|i| val(i, 0)).collect();
    let mut fast = vec![Tensor::from_vec(&[n], slow.clone()).unwrap()];
    let (mut m, mut v) = (vec![0.0; n], vec![0.0; n]);
    for t in 1..=10 {
        let g: Vec<f64> = (0..n).map(|i| 2.0 * val(i, t)).collect();
        opt.step_tensors(&mut fast, &[Tensor::from_vec(&[n], g.clone()).unwrap()])
            .unwrap();
        let tf = t as f64;
        let mut u = vec![0.0; n];
        for i in 0..n {
            m[i] = p.b1 * m[i] + (1.0 - p.b1) * g[i];
            v[i] = p.b2 * v[i] + (1.0 - p.b2) * g[i] * g[i];
            let (mh, vh) = (m[i] / (1.0 - p.b1.powf(tf)), v[i] / (1.0 - p.b2.powf(tf)));
            u[i] = mh / (vh.sqrt() + p.eps) + p.wd * slow[i];
        }
        let norm = |a: &[f64]| a.iter().map(|x| x * x).sum::<f64>().sqrt();
        let (xn, un) = (norm(&slow), norm(&u));
        let r = if xn == 0.0 || un == 0.0 { 1.0 } else { xn / un };
        for i in 0..n {
            slow[i] -= p.lr * r * u[i];
        }
        for (a, b) in fast[0].as_slice().iter().zip(&slow) {
            prop_assert!(
                close(*a, *b),
                "lamb step {t}: fused {a} vs reference {b} ({p:?})"
            );
        }
    }
    Ok(())
}
