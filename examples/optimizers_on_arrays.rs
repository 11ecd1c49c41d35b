//! `downhill-optim` on its own, on plain ndarray arrays: minimize an ill-conditioned quadratic
//! `f(x) = ½ Σ cᵢ (xᵢ − tᵢ)²` with SGD + momentum and with Adam, computing the gradient
//! `∇f = c ⊙ (x − t)` by hand — no network, no autograd. Any code that has gradients can use the
//! optimizers this way.
//!
//! Run: `cargo run --release -p downhill --example optimizers_on_arrays`
use downhill::optim::{Adam, Optimizer, Sgd};
use downhill::tensor::Tensor;
use downhill::tensor::ndarray::{Array1, array};

fn f(x: &Array1<f64>, c: &Array1<f64>, t: &Array1<f64>) -> f64 {
    0.5 * (c * &(x - t).mapv(|d| d * d)).sum()
}

/// Runs `steps` optimizer steps from 0 and returns the final point.
fn minimize(
    mut opt: Box<dyn Optimizer<f64>>,
    steps: usize,
) -> Result<Array1<f64>, Box<dyn std::error::Error>> {
    let c = array![1.0, 10.0, 100.0];
    let t = array![1.0, -2.0, 3.0];
    let mut x: Array1<f64> = Array1::zeros(3);
    for step in 0..steps {
        let grad = &c * &(&x - &t);
        // Wrap the arrays as tensors (a move, no copy), step, and unwrap.
        let mut params = [Tensor::from_array(x)];
        opt.step_tensors(&mut params, &[Tensor::from_array(grad)])?;
        let [p] = params;
        x = p.into_array().into_dimensionality()?;
        if step % (steps / 5) == 0 {
            println!("  step {step:4}: f = {:.3e}", f(&x, &c, &t));
        }
    }
    println!("  final: x = {x:.4}, f = {:.3e}", f(&x, &c, &t));
    Ok(x)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = array![1.0, -2.0, 3.0];
    println!("SGD, lr 0.009, momentum 0.9:");
    let sgd = Sgd {
        lr: 0.009,
        momentum: 0.9,
        ..Sgd::default()
    }
    .build::<f64>()?;
    let x = minimize(Box::new(sgd), 500)?;
    assert!((&x - &target).mapv(f64::abs).sum() < 1e-3);
    println!("Adam, lr 0.1:");
    let adam = Adam {
        lr: 0.1,
        ..Adam::default()
    }
    .build::<f64>()?;
    let x = minimize(Box::new(adam), 1000)?;
    assert!((&x - &target).mapv(f64::abs).sum() < 1e-3);
    Ok(())
}
