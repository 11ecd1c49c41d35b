//! A penalty as a gradient transformation on plain tensors, for optimizer users without a tape.

use downhill_tensor::{Element, Tensor};

use crate::{ParamFilter, Penalty, RegError, Result};

/// Adds a [`Penalty`]'s gradient to the gradients of selected parameters:
///
/// ```text
/// gᵢ ← gᵢ + ∇R(Wᵢ)   for every selected parameter i;  gᵢ unchanged otherwise
/// ```
///
/// Placed *before* an adaptive optimizer's scaling this is an L2 (or L1, elastic-net) penalty,
/// which Adam then rescales per coordinate; it is not decoupled weight decay (Loshchilov &
/// Hutter 2019), which is added *after* the scaling (`downhill-optim`'s `AdamW`).
///
/// ```
/// use downhill_reg::{ParamFilter, Penalty, PenaltyTransform};
/// use downhill_tensor::Tensor;
///
/// let w = Tensor::<f64>::full(&[2, 2], 1.0);
/// let b = Tensor::<f64>::full(&[2], 1.0);
/// let t = PenaltyTransform::from_filter(
///     Penalty::l2(0.5).unwrap(),
///     &ParamFilter::default(),
///     &[("0.weight", w.shape()), ("0.bias", b.shape())],
/// );
/// let (mut gw, mut gb) = (Tensor::zeros(&[2, 2]), Tensor::zeros(&[2]));
/// t.apply_to_grads(&[&w, &b], &mut [&mut gw, &mut gb]).unwrap();
/// assert_eq!(gw.as_slice(), &[1.0; 4]); // 2λw
/// assert_eq!(gb.as_slice(), &[0.0; 2]); // biases are not selected
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PenaltyTransform {
    /// The penalty whose gradient is added.
    pub penalty: Penalty,
    /// Which parameters (by position) are penalized; `None` penalizes all of them.
    pub mask: Option<Vec<bool>>,
}

impl PenaltyTransform {
    /// Penalizes every parameter.
    pub fn new(penalty: Penalty) -> Self {
        Self {
            penalty,
            mask: None,
        }
    }

    /// Penalizes the parameters, listed by `(name, shape)` in optimizer order, that `filter`
    /// selects.
    pub fn from_filter(
        penalty: Penalty,
        filter: &ParamFilter,
        params: &[(&str, &[usize])],
    ) -> Self {
        let mask = params.iter().map(|(n, s)| filter.selects(n, s)).collect();
        Self {
            penalty,
            mask: Some(mask),
        }
    }

    /// Whether parameter `i` is penalized.
    pub fn selects(&self, i: usize) -> bool {
        self.mask
            .as_ref()
            .is_none_or(|m| m.get(i).copied().unwrap_or(false))
    }

    /// Adds the penalty's gradient to `grads[i]` for every selected `params[i]`.
    ///
    /// # Errors
    /// Different counts (of parameters, gradients, or mask entries) or shapes; an invalid
    /// strength; NaN in a selected parameter. Nothing is modified on error.
    pub fn apply_to_grads<E: Element>(
        &self,
        params: &[&Tensor<E>],
        grads: &mut [&mut Tensor<E>],
    ) -> Result<()> {
        if let Some(mask) = &self.mask
            && mask.len() != params.len()
        {
            return Err(RegError::InvalidShape {
                op: "penalty_transform",
                shape: vec![mask.len(), params.len()],
                reason: "the mask must have one entry per parameter".to_string(),
            });
        }
        if params.len() != grads.len() {
            return Err(RegError::InvalidShape {
                op: "penalty_transform",
                shape: vec![params.len(), grads.len()],
                reason: "expected as many gradients as parameters".to_string(),
            });
        }
        let (p, mut g): (Vec<&Tensor<E>>, Vec<&mut Tensor<E>>) = params
            .iter()
            .zip(grads.iter_mut())
            .enumerate()
            .filter(|(i, _)| self.selects(*i))
            .map(|(_, (p, g))| (*p, &mut **g))
            .unzip();
        self.penalty.apply_to_grads(&p, &mut g)
    }
}
