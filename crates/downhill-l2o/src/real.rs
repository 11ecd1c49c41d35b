//! Real (caller-supplied) data sets for the MLP tasks: the third kind of task in the family.
//!
//! This crate does not load files (it sits below the facade `downhill`, which owns the bundled
//! data sets), so the caller hands in labelled feature matrices as [`RealData`] and collects
//! them in a [`DataPool`]. The pool splits each set's rows once, deterministically, into a
//! meta-training part and a held-out part:
//!
//! ```text
//! rows 0..n shuffled by Fisher–Yates with L2oRng::seed_from_u64(REAL_SPLIT_SEED)
//! held-out = the first ⌊n / 3⌋ shuffled rows, meta-training = the rest
//! ```
//!
//! Meta-training tasks ([`training_tasks_with`](crate::training_tasks_with)) draw their rows
//! from the meta-training part only, held-out groups
//! ([`held_out_groups_with`](crate::held_out_groups_with)) from the held-out part only. The two
//! share the data distribution (the same data set, the same standardization), not the rows:
//! a held-out real-data task measures generalization to new rows and new networks, not to a
//! new kind of data (the digits MLP, outside the family, does that).
//!
//! ```
//! use downhill_l2o::{DataPool, RealData};
//! use downhill_tensor::Tensor;
//!
//! let x = Tensor::<f64>::from_vec(&[6, 2], vec![0., 1., 1., 0., 2., 2., 3., 1., 0., 0., 1., 1.]).unwrap();
//! let set = RealData::new("toy", x, vec![0, 1, 0, 1, 0, 1], 2).unwrap().standardized();
//! let pool = DataPool::new(vec![set]).unwrap();
//! let (train, held) = pool.split("toy").unwrap();
//! assert_eq!((train.len(), held.len()), (4, 2));
//! ```

use downhill_tensor::Tensor;
use rand::distr::{Distribution, weighted::WeightedIndex};
use rand::{Rng, RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::error::{Result, config};
use crate::family::L2oRng;
use crate::mlp_task::{Hidden, MlpTask};

/// The seed of the row split of every [`RealData`] set in a [`DataPool`] (fixed; changing it
/// would move rows between the meta-training and held-out parts).
pub const REAL_SPLIT_SEED: u64 = 0x5EED_0011;

/// The smallest set a [`DataPool`] accepts: the held-out third must hold at least 2 rows and
/// the meta-training part at least 4.
pub const MIN_REAL_ROWS: usize = 6;

/// The row range of one real-data task: `min(64, m) ..= min(256, m)` rows of a part of `m` rows.
pub const REAL_TASK_ROWS: (usize, usize) = (64, 256);

/// A labelled data set: features `[n, d]` (finite) and labels in `0..classes`.
#[derive(Debug, Clone, PartialEq)]
pub struct RealData {
    name: String,
    x: Tensor<f64>,
    y: Vec<usize>,
    classes: usize,
}

impl RealData {
    /// A data set from its parts.
    ///
    /// # Errors
    /// An empty name, features that are not 2-D or have no column, fewer than
    /// [`MIN_REAL_ROWS`] rows, a label count differing from the rows, fewer than 2 classes, a
    /// label out of range, or a non-finite feature.
    pub fn new(
        name: impl Into<String>,
        x: Tensor<f64>,
        y: Vec<usize>,
        classes: usize,
    ) -> Result<Self> {
        let name = name.into();
        let bad = |reason: String| Err(config("real data", format!("{name:?}: {reason}")));
        if name.is_empty() || name.contains('(') {
            return bad("the name must be non-empty and contain no '('".into());
        }
        if x.ndim() != 2 || x.shape()[1] == 0 {
            return bad(format!(
                "features must be [rows, ≥1 columns], got {:?}",
                x.shape()
            ));
        }
        if x.shape()[0] != y.len() {
            return bad(format!(
                "{} feature rows but {} labels",
                x.shape()[0],
                y.len()
            ));
        }
        if y.len() < MIN_REAL_ROWS {
            return bad(format!("{} rows, need at least {MIN_REAL_ROWS}", y.len()));
        }
        if classes < 2 {
            return bad(format!("{classes} classes, need at least 2"));
        }
        if let Some(c) = y.iter().find(|&&c| c >= classes) {
            return bad(format!("label {c} outside 0..{classes}"));
        }
        if !x.all_finite() {
            return bad("non-finite feature".into());
        }
        Ok(Self {
            name,
            x,
            y,
            classes,
        })
    }

    /// The same set with every feature column z-scored over all rows:
    ///
    /// ```text
    /// x'ᵢⱼ = (xᵢⱼ − μⱼ) / σⱼ      μⱼ, σⱼ the column's mean and population standard deviation
    ///                            (a constant column becomes 0)
    /// ```
    pub fn standardized(mut self) -> Self {
        let (n, d) = (self.x.shape()[0], self.x.shape()[1]);
        let v = self.x.as_mut_slice();
        for j in 0..d {
            let mean = (0..n).map(|i| v[i * d + j]).sum::<f64>() / n as f64;
            let var = (0..n).map(|i| (v[i * d + j] - mean).powi(2)).sum::<f64>() / n as f64;
            let scale = if var > 0.0 { 1.0 / var.sqrt() } else { 0.0 };
            (0..n).for_each(|i| v[i * d + j] = (v[i * d + j] - mean) * scale);
        }
        self
    }

    /// The set's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The number of rows.
    pub fn rows(&self) -> usize {
        self.y.len()
    }

    /// The number of feature columns.
    pub fn features(&self) -> usize {
        self.x.shape()[1]
    }

    /// The number of classes.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// FNV-1a over the shape, the features' bits and the labels: pins the exact data a run saw.
    pub fn checksum(&self) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |v: u64| {
            for b in v.to_le_bytes() {
                h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
        };
        self.x.shape().iter().for_each(|&s| eat(s as u64));
        self.x.as_slice().iter().for_each(|v| eat(v.to_bits()));
        self.y.iter().for_each(|&c| eat(c as u64));
        eat(self.classes as u64);
        h
    }

    /// The rows `rows` (in that order) as features and labels.
    fn take(&self, rows: &[usize]) -> Result<(Tensor<f64>, Vec<usize>)> {
        let d = self.features();
        let src = self.x.as_slice();
        let x = rows
            .iter()
            .flat_map(|&i| src[i * d..(i + 1) * d].iter().copied())
            .collect();
        let y = rows.iter().map(|&i| self.y[i]).collect();
        Ok((Tensor::from_vec(&[rows.len(), d], x)?, y))
    }
}

/// Fisher–Yates on the first `k` positions: a uniformly random ordered `k`-subset of `v` in
/// `v[..k]`.
fn partial_shuffle<T>(rng: &mut impl Rng, v: &mut [T], k: usize) {
    for i in 0..k.min(v.len()) {
        let j = rng.random_range(i..v.len());
        v.swap(i, j);
    }
}

/// One set of a [`DataPool`] as recorded beside trained weights.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealDataSummary {
    /// The set's name.
    pub name: String,
    /// All rows.
    pub rows: usize,
    /// Feature columns.
    pub features: usize,
    /// Classes.
    pub classes: usize,
    /// Rows in the meta-training part.
    pub training_rows: usize,
    /// Rows in the held-out part.
    pub held_out_rows: usize,
    /// [`RealData::checksum`], in hexadecimal.
    pub checksum: String,
}

/// Real data sets, each split once into a meta-training and a held-out part (module docs).
/// The default pool is empty: the family is then quadratics and synthetic-data MLPs only,
/// exactly as without real data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataPool {
    sets: Vec<(RealData, Vec<usize>, Vec<usize>)>,
    /// Sampling weights of the sets for meta-training tasks (empty: uniform).
    weights: Vec<f64>,
}

impl DataPool {
    /// Splits every set (module docs); the order of `sets` is the order of the held-out groups.
    ///
    /// # Errors
    /// Two sets with the same name.
    pub fn new(sets: Vec<RealData>) -> Result<Self> {
        let mut out = Vec::with_capacity(sets.len());
        for set in sets {
            if out
                .iter()
                .any(|(s, _, _): &(RealData, _, _)| s.name == set.name)
            {
                return Err(config("real data", format!("{:?} given twice", set.name)));
            }
            let mut rows: Vec<usize> = (0..set.rows()).collect();
            let mut rng = L2oRng::seed_from_u64(REAL_SPLIT_SEED);
            partial_shuffle(&mut rng, &mut rows, set.rows());
            let train = rows.split_off(set.rows() / 3);
            out.push((set, train, rows));
        }
        Ok(Self {
            sets: out,
            weights: Vec::new(),
        })
    }

    /// The pool whose meta-training tasks ([`DataPool::sample_training`]) draw set `i` with
    /// probability proportional to `weights[i]`, the sets in the pool's order:
    ///
    /// ```text
    /// P(set i) = wᵢ / Σⱼ wⱼ          (uniform, 1/s, when `weights` is empty)
    /// ```
    ///
    /// An empty `weights` restores the uniform draw, bitwise the draw of a pool without
    /// weights. Any non-empty `weights`, equal ones included, draws the set from another
    /// number of the stream ([`WeightedIndex`]), so the tasks differ from the uniform draw's.
    /// The held-out and validation groups ([`DataPool::sample_held_out`]) are unaffected:
    /// they hold every set equally.
    ///
    /// # Errors
    /// A length other than the number of sets, or a weight not finite and > 0, named as
    /// `real_set_weights`.
    pub fn with_sampling_weights(mut self, weights: &[f64]) -> Result<Self> {
        check_set_weights(weights, self.sets.len())?;
        self.weights = weights.to_vec();
        Ok(self)
    }

    /// The sampling weights of [`DataPool::with_sampling_weights`] (empty: uniform).
    pub fn sampling_weights(&self) -> &[f64] {
        &self.weights
    }

    /// Whether the pool holds no set.
    pub fn is_empty(&self) -> bool {
        self.sets.is_empty()
    }

    /// The sets' names, in order.
    pub fn names(&self) -> Vec<String> {
        self.sets.iter().map(|(s, _, _)| s.name.clone()).collect()
    }

    /// The (meta-training, held-out) row indices of the set `name`.
    pub fn split(&self, name: &str) -> Option<(&[usize], &[usize])> {
        self.sets
            .iter()
            .find(|(s, _, _)| s.name == name)
            .map(|(_, t, h)| (t.as_slice(), h.as_slice()))
    }

    /// What to record beside weights trained on this pool.
    pub fn summary(&self) -> Vec<RealDataSummary> {
        self.sets
            .iter()
            .map(|(s, t, h)| RealDataSummary {
                name: s.name.clone(),
                rows: s.rows(),
                features: s.features(),
                classes: s.classes,
                training_rows: t.len(),
                held_out_rows: h.len(),
                checksum: format!("{:016x}", s.checksum()),
            })
            .collect()
    }

    /// A meta-training task: a set of the pool chosen uniformly (or by the pool's
    /// [sampling weights](DataPool::with_sampling_weights)), then an MLP on a random subset
    /// of its meta-training rows: `min(64, m) ..= min(256, m)` rows drawn uniformly without
    /// replacement from the `m` rows of the part ([`REAL_TASK_ROWS`]), one hidden layer of
    /// 8–32 units, tanh or relu, as [`MlpTask::sample_on`] draws them. Its name starts with
    /// `mlp-real(`, its own kind in the meta-loss.
    ///
    /// # Errors
    /// An empty pool.
    pub fn sample_training(&self, rng: &mut impl Rng) -> Result<MlpTask> {
        if self.sets.is_empty() {
            return Err(config("real data", "the pool is empty"));
        }
        let i = if self.weights.is_empty() {
            rng.random_range(0..self.sets.len())
        } else {
            WeightedIndex::new(&self.weights)
                .map_err(|e| config("real_set_weights", e.to_string()))?
                .sample(rng)
        };
        let (set, train, _) = &self.sets[i];
        real_task(rng, set, train)
    }

    /// Per set of the pool, in order, `instances` tasks drawn as in
    /// [`DataPool::sample_training`] but from the set's held-out rows, named as the group
    /// `"mlp-<name>"` they form.
    ///
    /// # Errors
    /// None in practice (the sets are validated).
    pub fn sample_held_out(
        &self,
        rng: &mut impl Rng,
        instances: usize,
    ) -> Result<Vec<(String, Vec<MlpTask>)>> {
        self.sample_groups(rng, instances, true)
    }

    /// [`DataPool::sample_held_out`] from the held-out rows (`held_out`) or, for selecting
    /// among meta-training iterates, from the meta-training rows.
    pub(crate) fn sample_groups(
        &self,
        rng: &mut impl Rng,
        instances: usize,
        held_out: bool,
    ) -> Result<Vec<(String, Vec<MlpTask>)>> {
        self.sets
            .iter()
            .map(|(set, train, held)| {
                let part = if held_out { held } else { train };
                let tasks = (0..instances)
                    .map(|_| real_task(rng, set, part))
                    .collect::<Result<Vec<_>>>()?;
                Ok((format!("mlp-{}", set.name), tasks))
            })
            .collect()
    }
}

/// Checks sampling weights for `sets` real data sets: none (uniform), or one finite weight
/// > 0 per set.
pub(crate) fn check_set_weights(weights: &[f64], sets: usize) -> Result<()> {
    if !weights.is_empty() && weights.len() != sets {
        return Err(config(
            "real_set_weights",
            format!(
                "{} weights for {sets} real data sets: give one per set, in order, or none",
                weights.len()
            ),
        ));
    }
    if let Some(w) = weights.iter().find(|w| !(**w > 0.0 && w.is_finite())) {
        return Err(config(
            "real_set_weights",
            format!("every weight must be finite and > 0, got {w} in {weights:?}"),
        ));
    }
    Ok(())
}

/// An MLP on a random subset of `part` (the row indices of one part of `set`), as described
/// at [`DataPool::sample_training`].
fn real_task(rng: &mut impl Rng, set: &RealData, part: &[usize]) -> Result<MlpTask> {
    let m = part.len();
    let (lo, hi) = (REAL_TASK_ROWS.0.min(m), REAL_TASK_ROWS.1.min(m));
    let n = rng.random_range(lo..=hi);
    let mut rows = part.to_vec();
    partial_shuffle(rng, &mut rows, n);
    let (x, y) = set.take(&rows[..n])?;
    let width = rng.random_range(8..=32);
    let hidden = if rng.random::<bool>() {
        Hidden::Tanh
    } else {
        Hidden::Relu
    };
    let name = format!("mlp-real({}, {n} rows, {width} {hidden:?})", set.name);
    MlpTask::new(name, x, y, set.classes, &[width], hidden, rng.random())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampled_groups_draw_from_the_requested_part() {
        // The first feature is the row index, so a task's rows can be traced back.
        let n = 120;
        let x = (0..n).flat_map(|i| [i as f64, (i as f64).sin()]).collect();
        let set =
            RealData::new("idx", Tensor::from_vec(&[n, 2], x).unwrap(), vec![0; n], 2).unwrap();
        let pool = DataPool::new(vec![set]).unwrap();
        let (train, held) = pool.split("idx").unwrap();
        for (held_out, part) in [(true, held), (false, train)] {
            let mut rng = L2oRng::seed_from_u64(5);
            let groups = pool.sample_groups(&mut rng, 4, held_out).unwrap();
            for task in &groups[0].1 {
                let f = task.features();
                for row in f.as_slice().chunks(2) {
                    assert!(part.contains(&(row[0] as usize)), "held_out = {held_out}");
                }
            }
        }
    }
}
