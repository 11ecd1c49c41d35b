//! Parameters: named values with gradient buffers that live across training steps.

use downhill_tensor::{Element, Tensor};

use crate::{AutogradError, Result};

/// Identifies a parameter in its [`ParamStore`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct ParamId(pub(crate) usize);

impl ParamId {
    /// The parameter's position in its store (registration order).
    pub fn index(self) -> usize {
        self.0
    }
}

/// A trainable tensor with its gradient buffer.
#[derive(Debug, Clone, PartialEq)]
pub struct Param<E: Element = f32> {
    /// Hierarchical name, e.g. `"0.weight"` (PyTorch's `state_dict` naming).
    pub name: String,
    /// The current value.
    pub value: Tensor<E>,
    /// The accumulated gradient, same shape as `value`; meaningful only when `has_grad`.
    pub grad: Tensor<E>,
    /// Whether a backward pass reached this parameter since the last [`ParamStore::zero_grad`].
    pub has_grad: bool,
}

impl<E: Element> Param<E> {
    /// The gradient if backward reached this parameter since the last `zero_grad`.
    pub fn grad(&self) -> Option<&Tensor<E>> {
        self.has_grad.then_some(&self.grad)
    }
}

/// The parameters of a model, in registration order, with unique names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParamStore<E: Element = f32> {
    params: Vec<Param<E>>,
}

impl<E: Element> ParamStore<E> {
    /// An empty store.
    pub fn new() -> Self {
        Self { params: Vec::new() }
    }

    /// Registers a parameter and returns its id.
    ///
    /// # Errors
    /// [`AutogradError::DuplicateParam`] when the name is taken.
    pub fn add(&mut self, name: impl Into<String>, value: Tensor<E>) -> Result<ParamId> {
        let name = name.into();
        if self.params.iter().any(|p| p.name == name) {
            return Err(AutogradError::DuplicateParam(name));
        }
        let grad = Tensor::zeros(value.shape());
        self.params.push(Param {
            name,
            value,
            grad,
            has_grad: false,
        });
        Ok(ParamId(self.params.len() - 1))
    }

    /// The parameter with this id.
    ///
    /// # Errors
    /// [`AutogradError::UnknownParam`] for an id from another store.
    pub fn get(&self, id: ParamId) -> Result<&Param<E>> {
        self.params
            .get(id.0)
            .ok_or_else(|| AutogradError::UnknownParam(format!("#{}", id.0)))
    }

    /// The parameter with this id, mutably.
    ///
    /// # Errors
    /// [`AutogradError::UnknownParam`] for an id from another store.
    pub fn get_mut(&mut self, id: ParamId) -> Result<&mut Param<E>> {
        self.params
            .get_mut(id.0)
            .ok_or_else(|| AutogradError::UnknownParam(format!("#{}", id.0)))
    }

    /// The id of the parameter with this name.
    pub fn find(&self, name: &str) -> Option<ParamId> {
        self.params.iter().position(|p| p.name == name).map(ParamId)
    }

    /// The number of parameters.
    pub fn len(&self) -> usize {
        self.params.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }

    /// The total number of scalar parameters.
    pub fn num_elements(&self) -> usize {
        self.params.iter().map(|p| p.value.len()).sum()
    }

    /// The parameters in registration order.
    pub fn iter(&self) -> std::slice::Iter<'_, Param<E>> {
        self.params.iter()
    }

    /// The parameters in registration order, mutably.
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, Param<E>> {
        self.params.iter_mut()
    }

    /// The ids in registration order.
    pub fn ids(&self) -> impl Iterator<Item = ParamId> + '_ {
        (0..self.params.len()).map(ParamId)
    }

    /// Zeroes every gradient and marks it absent (as PyTorch's `zero_grad(set_to_none=True)`,
    /// but keeping the buffers for reuse).
    pub fn zero_grad(&mut self) {
        for p in &mut self.params {
            if p.has_grad {
                p.grad.fill(E::zero());
                p.has_grad = false;
            }
        }
    }

    /// Adds `g` into parameter `id`'s gradient (gradients accumulate, never assign); the first
    /// gradient since `zero_grad` is moved in rather than copied. Returns the buffer that is no
    /// longer needed (the displaced zeroed buffer, or `g` after adding it), for reuse.
    pub(crate) fn accumulate(&mut self, id: ParamId, g: Tensor<E>) -> Result<Option<Tensor<E>>> {
        let p = self.get_mut(id)?;
        if p.has_grad {
            p.grad.add_assign(&g)?;
            Ok(Some(g))
        } else if downhill_tensor::shapes_equal(g.shape(), p.grad.shape()) {
            p.has_grad = true;
            Ok(Some(std::mem::replace(&mut p.grad, g)))
        } else {
            p.grad.assign(&g)?; // reports the shape mismatch
            Ok(None)
        }
    }
}
