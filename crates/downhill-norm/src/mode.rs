//! Training or evaluation: the switch that batch norm (and dropout) obey.

use serde::{Deserialize, Serialize};

/// Whether a layer runs in training or in evaluation (inference) mode.
///
/// As PyTorch's `module.train()` / `module.eval()`, but passed explicitly to each forward call
/// instead of being hidden state. Batch normalization uses batch statistics and updates its
/// running estimates in [`Mode::Train`], and uses the running estimates in [`Mode::Eval`].
///
/// ```
/// use downhill_norm::Mode;
/// assert!(Mode::Train.is_train());
/// assert_eq!(Mode::default(), Mode::Train);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Mode {
    /// Training: batch statistics, running estimates updated.
    #[default]
    Train,
    /// Evaluation / inference: running estimates, nothing updated.
    Eval,
}

impl Mode {
    /// Whether this is [`Mode::Train`].
    pub fn is_train(self) -> bool {
        self == Mode::Train
    }
}
