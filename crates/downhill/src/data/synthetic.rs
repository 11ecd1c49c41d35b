//! Synthetic two-dimensional classification problems, seeded.

use downhill_tensor::{Element, Tensor};
use rand::{Rng, RngExt};
use rand_distr::{Distribution, Normal};

use super::Dataset;
use crate::{Error, Result};

fn gaussian(rng: &mut impl Rng, std: f64) -> f64 {
    Normal::new(0.0, std).map_or(0.0, |d| d.sample(rng))
}

fn build<E: Element>(
    points: Vec<[f64; 2]>,
    labels: Vec<usize>,
    classes: usize,
) -> Result<Dataset<E>> {
    let data = points
        .iter()
        .flat_map(|p| [E::of(p[0]), E::of(p[1])])
        .collect();
    Dataset::new(Tensor::from_vec(&[labels.len(), 2], data)?, labels, classes)
}

fn check(n: usize, noise: f64) -> Result<()> {
    if n == 0 {
        return Err(Error::config("n", "need at least one sample"));
    }
    if !(noise >= 0.0 && noise.is_finite()) {
        return Err(Error::config(
            "noise",
            format!("must be finite and non-negative, got {noise}"),
        ));
    }
    Ok(())
}

/// Two interleaved spirals, `n` points per class, with Gaussian noise of std `noise`.
///
/// ```text
/// r = t,  θ = 4π·t/… ,  class 1 is class 0 rotated by π
/// ```
///
/// # Errors
/// [`Error::Config`] for `n = 0` or a negative noise.
pub fn two_spirals<E: Element>(n: usize, noise: f64, rng: &mut impl Rng) -> Result<Dataset<E>> {
    check(n, noise)?;
    let mut pts = Vec::with_capacity(2 * n);
    let mut ys = Vec::with_capacity(2 * n);
    for c in 0..2 {
        for i in 0..n {
            let t = 0.25 + 0.75 * i as f64 / n as f64;
            let theta = 3.0 * std::f64::consts::PI * t + c as f64 * std::f64::consts::PI;
            pts.push([
                t * theta.cos() + gaussian(rng, noise),
                t * theta.sin() + gaussian(rng, noise),
            ]);
            ys.push(c);
        }
    }
    build(pts, ys, 2)
}

/// Two interleaving half circles (scikit-learn's `make_moons`), `n` points per class.
///
/// # Errors
/// [`Error::Config`] for `n = 0` or a negative noise.
pub fn moons<E: Element>(n: usize, noise: f64, rng: &mut impl Rng) -> Result<Dataset<E>> {
    check(n, noise)?;
    let mut pts = Vec::with_capacity(2 * n);
    let mut ys = Vec::with_capacity(2 * n);
    for i in 0..n {
        let a = std::f64::consts::PI * i as f64 / (n.max(2) - 1) as f64;
        pts.push([
            a.cos() + gaussian(rng, noise),
            a.sin() + gaussian(rng, noise),
        ]);
        ys.push(0);
        pts.push([
            1.0 - a.cos() + gaussian(rng, noise),
            0.5 - a.sin() + gaussian(rng, noise),
        ]);
        ys.push(1);
    }
    build(pts, ys, 2)
}

/// Gaussian blobs: `n` points around each of `centers` (2-D points), with standard deviation `std`.
///
/// # Errors
/// [`Error::Config`] for `n = 0`, no centers, or a negative std.
pub fn blobs<E: Element>(
    n: usize,
    centers: &[[f64; 2]],
    std: f64,
    rng: &mut impl Rng,
) -> Result<Dataset<E>> {
    check(n, std)?;
    if centers.is_empty() {
        return Err(Error::config("centers", "need at least one center"));
    }
    let mut pts = Vec::with_capacity(n * centers.len());
    let mut ys = Vec::with_capacity(n * centers.len());
    for (c, ctr) in centers.iter().enumerate() {
        for _ in 0..n {
            pts.push([ctr[0] + gaussian(rng, std), ctr[1] + gaussian(rng, std)]);
            ys.push(c);
        }
    }
    build(pts, ys, centers.len())
}

/// XOR: `n` points uniform in `[−1, 1]²`, class 1 where the coordinates' signs differ, with
/// label-preserving Gaussian jitter `noise` added after labelling.
///
/// # Errors
/// [`Error::Config`] for `n = 0` or a negative noise.
pub fn xor<E: Element>(n: usize, noise: f64, rng: &mut impl Rng) -> Result<Dataset<E>> {
    check(n, noise)?;
    let mut pts = Vec::with_capacity(n);
    let mut ys = Vec::with_capacity(n);
    for _ in 0..n {
        let x: f64 = rng.random_range(-1.0..1.0);
        let y: f64 = rng.random_range(-1.0..1.0);
        ys.push(usize::from((x > 0.0) != (y > 0.0)));
        pts.push([x + gaussian(rng, noise), y + gaussian(rng, noise)]);
    }
    build(pts, ys, 2)
}
