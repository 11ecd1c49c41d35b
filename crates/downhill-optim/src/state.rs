//! The serializable state of an optimizer.

use std::collections::BTreeMap;

use downhill_tensor::{Element, Tensor};
use serde::{Deserialize, Serialize};

/// Serializable optimizer state, named like PyTorch's `state_dict`.
///
/// Tensors are keyed `"<param index>.<buffer>"` (`"0.exp_avg"`, `"0.exp_avg_sq"`,
/// `"1.momentum_buffer"`, …); scalars hold step counts (`"0.step"`), a per-parameter scalar
/// (`"0.mu_product"`: NAdam's product of momenta, 1 for the others) and the current
/// hyperparameters of each group (`"group.0.lr"`, `"group.0.weight_decay"`,
/// `"group.0.momentum"` — momentum or β₁), plus `"num_params"`. The tensor `"<i>.shape"`
/// records each parameter's shape, also for parameters not updated yet (which have no other
/// entries).
///
/// Saving, serializing (e.g. with `serde_json`), loading and continuing gives bit-for-bit the
/// trajectory of never having stopped.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(bound(serialize = "", deserialize = ""))]
pub struct StateDict<E: Element> {
    /// Step counts, per-parameter scalars and group hyperparameters.
    pub scalars: BTreeMap<String, f64>,
    /// Per-parameter state buffers.
    pub tensors: BTreeMap<String, Tensor<E>>,
}
