//! [`scale_by_trust_ratio`]: LAMB's layer-wise trust ratio.

use downhill_tensor::{Element, Tensor};

use crate::OptimError;
use crate::transform::{GradientTransformation, TransformState, check_shapes};

/// The trust ratio of LARS/LAMB (You et al. 2020), per parameter tensor, as optax's
/// `scale_by_trust_ratio` with its defaults:
///
/// ```text
/// u ← u · ‖x‖/‖u‖      (u unchanged if ‖x‖ = 0 or ‖u‖ = 0)
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ScaleByTrustRatio;

/// LAMB's trust ratio.
pub fn scale_by_trust_ratio() -> ScaleByTrustRatio {
    ScaleByTrustRatio
}

fn norm<E: Element>(t: &Tensor<E>) -> E {
    t.as_slice()
        .iter()
        .fold(E::zero(), |s, &v| s + v * v)
        .sqrt()
}

impl<E: Element> GradientTransformation<E> for ScaleByTrustRatio {
    fn init(&self, _params: &[Tensor<E>]) -> TransformState<E> {
        TransformState::default()
    }

    fn update(
        &self,
        updates: &mut [Tensor<E>],
        state: &mut TransformState<E>,
        params: &[Tensor<E>],
    ) -> Result<(), OptimError> {
        check_shapes(updates, params)?;
        for (u, p) in updates.iter_mut().zip(params) {
            let (pn, un) = (norm(p), norm(u));
            if pn != E::zero() && un != E::zero() {
                let r = pn / un;
                u.map_inplace(|v| v * r);
            }
        }
        state.count += 1;
        Ok(())
    }
}
