//! Small synthetic classification data sets for the MLP tasks.

use downhill_tensor::Tensor;
use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};

/// Which synthetic data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synthetic {
    /// Gaussian blobs: `classes` centres `~ N(0, 4I)` in `dim` dimensions, unit noise.
    Blobs {
        /// Input dimension.
        dim: usize,
        /// Number of classes.
        classes: usize,
    },
    /// Interleaved 2-D spirals, one arm per class, noise 0.1.
    Spirals {
        /// Number of classes (arms).
        classes: usize,
    },
    /// XOR: points uniform in `[−1, 1]²`, label `[x₀·x₁ > 0]`.
    Xor,
}

fn normal(rng: &mut impl Rng) -> f64 {
    <StandardNormal as Distribution<f64>>::sample(&StandardNormal, rng)
}

impl Synthetic {
    /// The number of classes.
    pub fn classes(self) -> usize {
        match self {
            Synthetic::Blobs { classes, .. } | Synthetic::Spirals { classes } => classes,
            Synthetic::Xor => 2,
        }
    }

    /// The input dimension.
    pub fn dim(self) -> usize {
        match self {
            Synthetic::Blobs { dim, .. } => dim,
            _ => 2,
        }
    }

    /// Draws `n` labelled points: features `[n, dim]` and labels.
    pub fn generate(self, rng: &mut impl Rng, n: usize) -> (Tensor<f64>, Vec<usize>) {
        let dim = self.dim();
        let mut x = Vec::with_capacity(n * dim);
        let mut y = Vec::with_capacity(n);
        let centres: Vec<f64> = (0..self.classes() * dim)
            .map(|_| 2.0 * normal(rng))
            .collect();
        for i in 0..n {
            let c = i % self.classes();
            match self {
                Synthetic::Blobs { .. } => {
                    x.extend((0..dim).map(|k| centres[c * dim + k] + normal(rng)));
                }
                Synthetic::Spirals { classes } => {
                    let r: f64 = rng.random();
                    let angle = 4.0 * r + 2.0 * std::f64::consts::PI * c as f64 / classes as f64;
                    x.push(r * angle.cos() + 0.1 * normal(rng));
                    x.push(r * angle.sin() + 0.1 * normal(rng));
                }
                Synthetic::Xor => {
                    let (a, b) = (rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0));
                    x.extend([a, b]);
                    y.push(usize::from(a * b > 0.0));
                    continue;
                }
            }
            y.push(c);
        }
        (Tensor::from_vec(&[n, dim], x).expect("n·dim values"), y)
    }
}
