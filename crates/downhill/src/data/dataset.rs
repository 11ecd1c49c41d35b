//! A labelled classification data set held in memory.

use downhill_tensor::{Element, Tensor};
use rand::Rng;
use rand::seq::SliceRandom;

use crate::{Error, Result};

/// A classification data set: a feature matrix `[N, F]` and one class label per row.
///
/// ```
/// use downhill::data::Dataset;
/// use downhill::Tensor;
/// use rand::SeedableRng;
///
/// let x = Tensor::<f32>::from_vec(&[4, 1], vec![0., 1., 2., 3.]).unwrap();
/// let ds = Dataset::new(x, vec![0, 1, 0, 1], 2).unwrap();
/// let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(0);
/// let (train, val) = ds.split(0.5, true, &mut rng).unwrap();
/// assert_eq!((train.len(), val.len()), (2, 2));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset<E: Element = f32> {
    features: Tensor<E>,
    labels: Vec<usize>,
    num_classes: usize,
    /// Names of the classes, when known (e.g. from a bundled set's header).
    pub class_names: Vec<String>,
    /// The image shape `[C, H, W]` of each row, when the features are flattened images.
    pub image_shape: Option<[usize; 3]>,
}

/// One mini-batch: features `[B, F]` and labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch<E: Element = f32> {
    /// The features.
    pub x: Tensor<E>,
    /// The labels.
    pub y: Vec<usize>,
}

impl<E: Element> Dataset<E> {
    /// A data set from a 2-D feature matrix and labels in `0..num_classes`.
    ///
    /// # Errors
    /// [`Error::Data`] when the features are not 2-D, the label count differs from the row
    /// count, or a label is out of range.
    pub fn new(features: Tensor<E>, labels: Vec<usize>, num_classes: usize) -> Result<Self> {
        if features.ndim() != 2 {
            return Err(Error::Data(format!(
                "features must be [rows, features], got shape {:?}",
                features.shape()
            )));
        }
        if labels.len() != features.shape()[0] {
            return Err(Error::Data(format!(
                "{} labels for {} rows",
                labels.len(),
                features.shape()[0]
            )));
        }
        if let Some((row, &y)) = labels.iter().enumerate().find(|&(_, &y)| y >= num_classes) {
            return Err(Error::Data(format!(
                "label {y} at row {row} is not below the class count {num_classes}"
            )));
        }
        Ok(Self {
            features,
            labels,
            num_classes,
            class_names: (0..num_classes).map(|c| c.to_string()).collect(),
            image_shape: None,
        })
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The number of features per row.
    pub fn num_features(&self) -> usize {
        self.features.shape()[1]
    }

    /// The number of classes.
    pub fn num_classes(&self) -> usize {
        self.num_classes
    }

    /// The feature matrix `[N, F]`.
    pub fn features(&self) -> &Tensor<E> {
        &self.features
    }

    /// The feature matrix, mutably (e.g. to apply a fitted standardizer in place).
    pub fn features_mut(&mut self) -> &mut Tensor<E> {
        &mut self.features
    }

    /// The labels.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// How many rows each class has.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.num_classes];
        self.labels.iter().for_each(|&y| counts[y] += 1);
        counts
    }

    /// The rows at `indices`, in that order.
    ///
    /// # Errors
    /// [`Error::Data`] for an index out of range.
    pub fn subset(&self, indices: &[usize]) -> Result<Self> {
        let batch = self.batch(indices)?;
        Ok(Self {
            features: batch.x,
            labels: batch.y,
            num_classes: self.num_classes,
            class_names: self.class_names.clone(),
            image_shape: self.image_shape,
        })
    }

    /// Gathers the rows at `indices` into a batch.
    ///
    /// # Errors
    /// [`Error::Data`] for an index out of range.
    pub fn batch(&self, indices: &[usize]) -> Result<Batch<E>> {
        let f = self.num_features();
        let mut x = Vec::with_capacity(indices.len() * f);
        let mut y = Vec::with_capacity(indices.len());
        let src = self.features.as_slice();
        for &i in indices {
            if i >= self.len() {
                return Err(Error::Data(format!(
                    "row index {i} out of range for {} rows",
                    self.len()
                )));
            }
            x.extend_from_slice(&src[i * f..(i + 1) * f]);
            y.push(self.labels[i]);
        }
        Ok(Batch {
            x: Tensor::from_vec(&[indices.len(), f], x)?,
            y,
        })
    }

    /// The row indices in batches of `batch_size`, shuffled by `rng` when given (the last batch
    /// may be smaller).
    ///
    /// # Errors
    /// [`Error::Config`] for a batch size of 0.
    pub fn batch_indices(
        &self,
        batch_size: usize,
        rng: Option<&mut dyn rand::Rng>,
    ) -> Result<Vec<Vec<usize>>> {
        if batch_size == 0 {
            return Err(Error::config("batch_size", "must be at least 1"));
        }
        let mut order: Vec<usize> = (0..self.len()).collect();
        if let Some(rng) = rng {
            order.shuffle(rng);
        }
        Ok(order.chunks(batch_size).map(<[usize]>::to_vec).collect())
    }

    /// Splits into two parts, the second holding `fraction` of the rows (rounded), after a
    /// seeded shuffle. With `stratified`, each class is split in the same proportion.
    ///
    /// # Errors
    /// [`Error::Config`] unless `0 < fraction < 1`.
    pub fn split(
        &self,
        fraction: f64,
        stratified: bool,
        rng: &mut impl Rng,
    ) -> Result<(Self, Self)> {
        if !(fraction > 0.0 && fraction < 1.0) {
            return Err(Error::config(
                "split fraction",
                format!("must lie in (0, 1), got {fraction}"),
            ));
        }
        let groups: Vec<Vec<usize>> = if stratified {
            (0..self.num_classes)
                .map(|c| (0..self.len()).filter(|&i| self.labels[i] == c).collect())
                .collect()
        } else {
            vec![(0..self.len()).collect()]
        };
        let (mut first, mut second) = (Vec::new(), Vec::new());
        for mut g in groups {
            g.shuffle(rng);
            let k = (g.len() as f64 * fraction).round() as usize;
            second.extend_from_slice(&g[..k]);
            first.extend_from_slice(&g[k..]);
        }
        first.shuffle(rng);
        second.shuffle(rng);
        Ok((self.subset(&first)?, self.subset(&second)?))
    }

    /// Splits into train, validation and test parts with the given fractions for the last two.
    ///
    /// # Errors
    /// [`Error::Config`] unless both fractions are positive and sum to less than 1.
    pub fn split3(
        &self,
        val: f64,
        test: f64,
        stratified: bool,
        rng: &mut impl Rng,
    ) -> Result<(Self, Self, Self)> {
        if !(val > 0.0 && test > 0.0 && val + test < 1.0) {
            return Err(Error::config(
                "split fractions",
                format!("val {val} and test {test} must be positive with a sum below 1"),
            ));
        }
        let (rest, test_part) = self.split(test, stratified, rng)?;
        let (train, val_part) = rest.split(val / (1.0 - test), stratified, rng)?;
        Ok((train, val_part, test_part))
    }

    /// Multiplies every feature by `factor` (e.g. `1/16` to bring digits' pixels into [0, 1]).
    pub fn scale_features(&mut self, factor: E) {
        self.features.scale_inplace(factor);
    }

    /// Converts to another element type.
    pub fn cast<F: Element>(&self) -> Dataset<F> {
        Dataset {
            features: self.features.cast(),
            labels: self.labels.clone(),
            num_classes: self.num_classes,
            class_names: self.class_names.clone(),
            image_shape: self.image_shape,
        }
    }
}
