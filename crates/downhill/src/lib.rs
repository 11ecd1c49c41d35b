//! # downhill
//!
//! Train neural networks in Rust. This facade composes the downhill crates — the tensor core,
//! reverse-mode autograd, weight initialization, optimizers and schedules — into networks that
//! train, with losses, metrics, data sets, a trainer with monitoring, and checkpoints.
//!
//! ```
//! use downhill::{Activation, NetSpec, Network, data};
//! use rand::SeedableRng;
//!
//! let mut rng = downhill::DefaultRng::seed_from_u64(0);
//! let iris = data::load_bundled::<f32>("iris").unwrap();
//! let spec = NetSpec::mlp(iris.num_features(), &[16], iris.num_classes(), Activation::Relu, None);
//! let net = Network::<f32>::from_spec(&spec, &mut rng).unwrap();
//! assert_eq!(net.output_features(), 3);
//! ```

pub mod checkpoint;
mod config;
pub mod data;
mod error;
mod history;
pub mod layers;
pub mod loss;
pub mod metrics;
mod network;
pub mod plot;
pub mod run;
mod trainer;

pub use config::{EarlyStoppingConfig, Monitor, NanPolicy, SchedulePer, TrainConfig};
pub use downhill_autograd as autograd;
pub use downhill_init as init;
pub use downhill_l2o as l2o;
pub use downhill_norm as norm;
pub use downhill_optim as optim;
pub use downhill_reg as reg;
pub use downhill_tensor as tensor;
pub use downhill_tensor::{Element, Tensor};
pub use error::{Error, Result};
pub use history::{EpochRecord, History, write_atomic};
pub use layers::{Activation, Module};
pub use loss::Loss;
pub use network::{LayerSpec, NetSpec, Network};
pub use trainer::{Callback, Control, Evaluation, Trainer, TrainerState, evaluate};

/// The random generator downhill seeds everywhere (xoshiro256++: fast, and its state is
/// serializable, so checkpoints resume the exact random stream).
pub type DefaultRng = rand::rngs::Xoshiro256PlusPlus;

pub use downhill_norm::Mode;

/// The regularization crate's view of a [`Mode`].
pub(crate) fn reg_mode(mode: Mode) -> downhill_reg::Mode {
    match mode {
        Mode::Train => downhill_reg::Mode::Train,
        Mode::Eval => downhill_reg::Mode::Eval,
    }
}
