//! Training or inference: the switch every noise layer reads.

/// Whether a layer runs in training or in inference (evaluation).
///
/// Noise layers ([`Dropout`](crate::Dropout), [`GaussianNoise`](crate::GaussianNoise)) inject
/// noise only in [`Mode::Train`]; in [`Mode::Eval`] they are deterministic (the noise is
/// "marginalized", as the lecture puts it). This mirrors `downhill_norm::Mode`; the facade
/// crate unifies the two.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum Mode {
    /// Training: noise is sampled.
    #[default]
    Train,
    /// Inference: no noise, outputs are deterministic.
    Eval,
}
