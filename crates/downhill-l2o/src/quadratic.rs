//! Random ill-conditioned quadratics, the first task family.

use downhill_tensor::Tensor;
use downhill_tensor::ndarray::{Array1, Array2};
use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};

use crate::error::{Result, config};
use crate::task::Task;

/// `f(x) = ½ (x − x*)ᵀ A (x − x*)` from `x₀ = 0`, with `A = Q diag(λ) Qᵀ`.
///
/// ```text
/// Q      a random orthogonal matrix (downhill-init's `orthogonal`)
/// λᵢ     log-spaced from λ_max/κ to λ_max     (condition number κ)
/// x*     ~ N(0, I)
/// ∇f(x)  = A (x − x*)
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct QuadraticTask {
    a: Array2<f64>,
    x_star: Array1<f64>,
    condition: f64,
}

fn log_uniform(rng: &mut impl Rng, lo: f64, hi: f64) -> f64 {
    (lo.ln() + rng.random::<f64>() * (hi.ln() - lo.ln())).exp()
}

impl QuadraticTask {
    /// A quadratic of dimension `dim` with condition number `condition` and largest curvature
    /// `lambda_max`.
    ///
    /// # Errors
    /// `dim < 2`, `condition < 1` or a non-positive `lambda_max`.
    pub fn new(rng: &mut impl Rng, dim: usize, condition: f64, lambda_max: f64) -> Result<Self> {
        let valid_condition = condition >= 1.0 && condition.is_finite();
        if dim < 2 || !valid_condition || !(lambda_max > 0.0 && lambda_max.is_finite()) {
            return Err(config(
                "quadratic",
                format!("need dim ≥ 2, κ ≥ 1, λ_max > 0; got {dim}, {condition}, {lambda_max}"),
            ));
        }
        let q: Tensor<f64> = downhill_init::orthogonal(rng, &[dim, dim], 1.0)?;
        let q: Array2<f64> = q
            .into_array()
            .into_dimensionality()
            .expect("2-D by construction");
        let lambda = Array1::from_shape_fn(dim, |i| {
            lambda_max * condition.powf(-(i as f64) / (dim - 1) as f64)
        });
        let a = (&q * &lambda).dot(&q.t());
        let x_star = Array1::from_shape_fn(dim, |_| {
            <StandardNormal as Distribution<f64>>::sample(&StandardNormal, rng)
        });
        Ok(Self {
            a,
            x_star,
            condition,
        })
    }

    /// A member of the family: `d ∈ [10, 50]`, `κ` log-uniform in `[10, 1000]`, `λ_max`
    /// log-uniform in `[0.1, 10]`.
    pub fn sample(rng: &mut impl Rng) -> Result<Self> {
        let dim = rng.random_range(10..=50);
        let condition = log_uniform(rng, 10.0, 1000.0);
        let lambda_max = log_uniform(rng, 0.1, 10.0);
        Self::new(rng, dim, condition, lambda_max)
    }
}

impl Task for QuadraticTask {
    fn name(&self) -> String {
        format!(
            "quadratic(d={}, κ={:.0})",
            self.x_star.len(),
            self.condition
        )
    }

    fn init(&self) -> Vec<Tensor<f64>> {
        vec![Tensor::zeros(&[self.x_star.len()])]
    }

    fn loss_and_grad(&self, params: &[Tensor<f64>]) -> Result<(f64, Vec<Tensor<f64>>)> {
        let n = self.x_star.len();
        if params.len() != 1 || params[0].shape() != [n] {
            return Err(config(
                "quadratic",
                format!("expects one parameter of shape [{n}]"),
            ));
        }
        let x = Array1::from(params[0].as_slice().to_vec());
        let e = x - &self.x_star;
        let g = self.a.dot(&e);
        let loss = 0.5 * e.dot(&g);
        Ok((loss, vec![Tensor::from(g)]))
    }
}
