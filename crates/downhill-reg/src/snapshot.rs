//! A holder for the best weights seen so far, to restore when training stops.

use downhill_autograd::ParamStore;
use downhill_tensor::{Element, Tensor};

use crate::{RegError, Result};

/// A copy of the best weights so far, as `(name, tensor)` pairs, with the epoch and metric that
/// earned them. Pair it with [`EarlyStopping`](crate::EarlyStopping): save on
/// [`Decision::Improved`](crate::Decision::Improved), restore on
/// [`Decision::Stop`](crate::Decision::Stop). Serializable (for checkpoints).
///
/// ```
/// use downhill_autograd::ParamStore;
/// use downhill_reg::BestSnapshot;
/// use downhill_tensor::Tensor;
///
/// let mut store = ParamStore::<f32>::new();
/// let w = store.add("0.weight", Tensor::ones(&[2, 2])).unwrap();
/// let mut best = BestSnapshot::new();
/// best.save_params(3, 0.25, &store);
/// store.get_mut(w).unwrap().value.fill(9.0); // training wanders off
/// best.restore(&mut store).unwrap();
/// assert_eq!(store.get(w).unwrap().value.as_slice(), &[1.0; 4]);
/// assert_eq!(best.epoch(), Some(3));
/// ```
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(bound(serialize = "", deserialize = ""))]
pub struct BestSnapshot<E: Element = f32> {
    epoch: Option<usize>,
    metric: Option<f64>,
    weights: Vec<(String, Tensor<E>)>,
}

impl<E: Element> BestSnapshot<E> {
    /// An empty holder.
    pub fn new() -> Self {
        Self {
            epoch: None,
            metric: None,
            weights: Vec::new(),
        }
    }

    /// Stores `weights` (replacing any earlier snapshot).
    pub fn save(&mut self, epoch: usize, metric: f64, weights: Vec<(String, Tensor<E>)>) {
        self.epoch = Some(epoch);
        self.metric = Some(metric);
        self.weights = weights;
    }

    /// Stores a clone of every parameter value of `store`.
    pub fn save_params(&mut self, epoch: usize, metric: f64, store: &ParamStore<E>) {
        let weights = store
            .iter()
            .map(|p| (p.name.clone(), p.value.clone()))
            .collect();
        self.save(epoch, metric, weights);
    }

    /// Copies the stored weights back into the parameters of the same names.
    ///
    /// # Errors
    /// [`RegError::Restore`] when nothing was saved, or a stored name is missing from the store
    /// or has another shape there; the store is then untouched.
    pub fn restore(&self, store: &mut ParamStore<E>) -> Result<()> {
        if self.epoch.is_none() {
            return Err(RegError::Restore("no snapshot saved".to_string()));
        }
        let mut ids = Vec::with_capacity(self.weights.len());
        for (name, t) in &self.weights {
            let id = store
                .find(name)
                .ok_or_else(|| RegError::Restore(format!("no parameter named {name:?}")))?;
            let shape = store.get(id)?.value.shape();
            if shape != t.shape() {
                return Err(RegError::Restore(format!(
                    "{name:?} has shape {shape:?}, the snapshot {:?}",
                    t.shape()
                )));
            }
            ids.push(id);
        }
        for (id, (_, t)) in ids.into_iter().zip(&self.weights) {
            store.get_mut(id)?.value.assign(t)?;
        }
        Ok(())
    }

    /// The epoch of the snapshot.
    pub fn epoch(&self) -> Option<usize> {
        self.epoch
    }

    /// The metric of the snapshot.
    pub fn metric(&self) -> Option<f64> {
        self.metric
    }

    /// The stored `(name, tensor)` pairs.
    pub fn weights(&self) -> &[(String, Tensor<E>)] {
        &self.weights
    }
}
