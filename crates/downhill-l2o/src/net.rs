//! The coordinatewise network: features → update direction and log-magnitude.

use downhill_tensor::ndarray::{Array1, Array2, Axis};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::error::{Result, config};
use crate::features::{ADAM_DIRECTION_FEATURE, NUM_FEATURES};

/// The width of both hidden layers.
pub const HIDDEN: usize = 32;

/// The step scale `c₂` (see [`LearnedNet`]).
pub const STEP_SCALE: f64 = 0.1;

/// The bound on the direction output `d`.
pub const DIRECTION_BOUND: f64 = 3.0;

/// The range of the log-magnitude output `m`.
pub const LOG_MAGNITUDE_RANGE: (f64, f64) = (-15.0, 3.0);

/// The initial log-magnitude bias: the untrained network is Adam with `lr = c₂·e^{b}` = 0.1.
const INITIAL_LOG_MAGNITUDE: f64 = 0.0;

/// The learned optimizer's network, applied to every scalar parameter independently (one
/// batched pass over a tensor's rows of features).
///
/// ```text
/// x  ∈ R^17                              the features (crate::features)
/// h₁ = relu(x·W₁ + b₁)                   W₁: 17×32
/// h₂ = relu(h₁·W₂ + b₂)                  W₂: 32×32
/// (d, m) = h₂·W₃ + b₃ + x·S              W₃: 32×2, S: 17×2 (a linear skip path)
/// Δp = −lr · c₂ · exp(clamp(m, −15, 3)) · clamp(d, ±3)      c₂ = 0.1
/// ```
///
/// The output parametrization (direction times exponentiated log-magnitude, with a small
/// constant step scale) follows Metz et al. 2022, "Practical tradeoffs between memory, compute,
/// and performance in learned optimizers"; the clamps make every update bounded by
/// `lr·c₂·e³·3 ≈ 6.0·lr`. The skip path `S` is initialized to copy feature 7 (`m̂_0.9/r̂`) into
/// `d` and `b₃ = (0, 0)`, so the untrained network is Adam (β₁ = 0.9, β₂ = 0.999,
/// lr = 0.1) up to the small random `W₃`; meta-training starts from there rather than from noise, which is what makes a
/// few minutes of evolution strategies enough.
#[derive(Debug, Clone, PartialEq)]
pub struct LearnedNet {
    /// `W₁`, `[17, 32]`.
    pub w1: Array2<f64>,
    /// `b₁`, `[32]`.
    pub b1: Array1<f64>,
    /// `W₂`, `[32, 32]`.
    pub w2: Array2<f64>,
    /// `b₂`, `[32]`.
    pub b2: Array1<f64>,
    /// `W₃`, `[32, 2]`.
    pub w3: Array2<f64>,
    /// `b₃`, `[2]`.
    pub b3: Array1<f64>,
    /// The skip path `S`, `[17, 2]`.
    pub skip: Array2<f64>,
}

fn normal_matrix(rng: &mut impl Rng, rows: usize, cols: usize, std: f64) -> Array2<f64> {
    Array2::from_shape_fn((rows, cols), |_| {
        std * <StandardNormal as Distribution<f64>>::sample(&StandardNormal, rng)
    })
}

impl LearnedNet {
    /// The Adam-equivalent starting point described on [`LearnedNet`], with He-normal hidden
    /// weights and an output layer of standard deviation 0.01.
    pub fn initial(rng: &mut impl Rng) -> Self {
        let w1 = normal_matrix(
            rng,
            NUM_FEATURES,
            HIDDEN,
            (2.0 / NUM_FEATURES as f64).sqrt(),
        );
        let w2 = normal_matrix(rng, HIDDEN, HIDDEN, (2.0 / HIDDEN as f64).sqrt());
        let w3 = normal_matrix(rng, HIDDEN, 2, 0.01);
        let mut skip = Array2::zeros((NUM_FEATURES, 2));
        skip[[ADAM_DIRECTION_FEATURE, 0]] = 1.0;
        Self {
            w1,
            b1: Array1::zeros(HIDDEN),
            w2,
            b2: Array1::zeros(HIDDEN),
            w3,
            b3: Array1::from(vec![0.0, INITIAL_LOG_MAGNITUDE]),
            skip,
        }
    }

    /// The number of meta-parameters.
    pub fn num_parameters(&self) -> usize {
        self.parts().iter().map(|p| p.len()).sum()
    }

    fn parts(&self) -> [&[f64]; 7] {
        fn s(a: Option<&[f64]>) -> &[f64] {
            a.expect("owned ndarray arrays are contiguous")
        }
        [
            s(self.w1.as_slice()),
            s(self.b1.as_slice()),
            s(self.w2.as_slice()),
            s(self.b2.as_slice()),
            s(self.w3.as_slice()),
            s(self.b3.as_slice()),
            s(self.skip.as_slice()),
        ]
    }

    /// All meta-parameters in one vector, in the order `W₁, b₁, W₂, b₂, W₃, b₃, S` (row-major).
    pub fn to_flat(&self) -> Vec<f64> {
        self.parts().concat()
    }

    /// The inverse of [`LearnedNet::to_flat`].
    ///
    /// # Errors
    /// A vector of the wrong length.
    pub fn from_flat(flat: &[f64]) -> Result<Self> {
        let (f, h) = (NUM_FEATURES, HIDDEN);
        let sizes = [f * h, h, h * h, h, h * 2, 2, f * 2];
        let total: usize = sizes.iter().sum();
        if flat.len() != total {
            return Err(config(
                "meta-parameters",
                format!("expected {total} values, got {}", flat.len()),
            ));
        }
        let mut at = 0;
        let mut take = |n: usize| {
            let v = flat[at..at + n].to_vec();
            at += n;
            v
        };
        let mat = |v: Vec<f64>, r: usize, c: usize| {
            Array2::from_shape_vec((r, c), v).expect("sizes match by construction")
        };
        Ok(Self {
            w1: mat(take(sizes[0]), f, h),
            b1: Array1::from(take(sizes[1])),
            w2: mat(take(sizes[2]), h, h),
            b2: Array1::from(take(sizes[3])),
            w3: mat(take(sizes[4]), h, 2),
            b3: Array1::from(take(sizes[5])),
            skip: mat(take(sizes[6]), f, 2),
        })
    }

    /// The raw outputs `(d, m)` for each row of `x` (`[n, 17]`), before clamping.
    pub fn forward(&self, x: &Array2<f64>) -> Array2<f64> {
        let relu = |v: f64| v.max(0.0);
        let h1 = (x.dot(&self.w1) + &self.b1).mapv_into(relu);
        let h2 = (h1.dot(&self.w2) + &self.b2).mapv_into(relu);
        h2.dot(&self.w3) + &self.b3 + x.dot(&self.skip)
    }

    /// The update `Δp` (before the global `lr`) for each row of `x`, bounded as documented.
    pub fn updates(&self, x: &Array2<f64>) -> Vec<f64> {
        let out = self.forward(x);
        let (lo, hi) = LOG_MAGNITUDE_RANGE;
        out.axis_iter(Axis(0))
            .map(|o| {
                let d = clamp_nan(o[0], DIRECTION_BOUND);
                let m = if o[1].is_nan() {
                    lo
                } else {
                    o[1].clamp(lo, hi)
                };
                -STEP_SCALE * m.exp() * d
            })
            .collect()
    }
}

/// Clamps to `±bound`, mapping NaN (possible only from non-finite meta-parameters) to 0.
fn clamp_nan(v: f64, bound: f64) -> f64 {
    if v.is_nan() {
        0.0
    } else {
        v.clamp(-bound, bound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn flat_round_trip() {
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(1);
        let net = LearnedNet::initial(&mut rng);
        let back = LearnedNet::from_flat(&net.to_flat()).unwrap();
        assert_eq!(net, back);
        assert_eq!(
            net.num_parameters(),
            17 * 32 + 32 + 32 * 32 + 32 + 64 + 2 + 34
        );
        assert!(LearnedNet::from_flat(&[1.0]).is_err());
    }
}
