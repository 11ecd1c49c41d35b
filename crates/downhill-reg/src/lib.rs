//! # downhill-reg
//!
//! Regularization for [downhill](https://example.invalid/downhill), following the lecture's
//! summary: *add some weight constraints; add random noise during training and marginalize it at
//! test; add prior information*.
//!
//! ```
//! use downhill_autograd::{Reduction, Tape};
//! use downhill_reg::{
//!     BestSnapshot, Constraint, Decision, Dropout, EarlyStopping, Goal, MaxNorm, Mode,
//!     ParamFilter, Penalty, UnitAxis,
//! };
//! use downhill_tensor::Tensor;
//! use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
//!
//! let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
//! let mut tape = Tape::<f32>::new();
//! let w = tape.params_mut().add("0.weight", Tensor::full(&[2, 3], 0.1)).unwrap();
//! let b = tape.params_mut().add("0.bias", Tensor::zeros(&[2])).unwrap();
//! let (penalty, dropout) = (Penalty::l2(1e-4).unwrap(), Dropout::new(0.5).unwrap());
//! let max_norm = Constraint::MaxNorm(MaxNorm::new(3.0, UnitAxis::Rows).unwrap());
//! let mut stopper = EarlyStopping::new(Goal::Min, 3, 0.0).unwrap();
//! let mut best = BestSnapshot::new();
//!
//! for epoch in 0..20 {
//!     let x = tape.constant(Tensor::from_vec(&[2, 3], vec![1., 0., 2., 0., 1., -1.]).unwrap());
//!     let x = dropout.forward(&mut tape, x, Mode::Train, &mut rng).unwrap();
//!     let (wv, bv) = (tape.param(w).unwrap(), tape.param(b).unwrap());
//!     let logits = tape.linear(x, wv, Some(bv)).unwrap();
//!     let data_loss = tape.cross_entropy(logits, &[0, 1], Reduction::Mean).unwrap();
//!     // The penalty covers "0.weight" but not "0.bias" (ParamFilter's default).
//!     let reg = penalty.loss_over_params(&mut tape, &ParamFilter::default()).unwrap();
//!     let loss = tape.add(data_loss, reg).unwrap();
//!     let metric = tape.value(loss).unwrap().item().unwrap() as f64;
//!     tape.backward(loss).unwrap();
//!     for p in tape.params_mut().iter_mut() {
//!         let g = p.grad.clone();
//!         p.value.scaled_add(-0.5, &g).unwrap();
//!     }
//!     max_norm.apply_to_params(tape.params_mut(), &ParamFilter::default()).unwrap();
//!     tape.params_mut().zero_grad();
//!     tape.clear();
//!     match stopper.update(epoch, metric) {
//!         Decision::Improved => best.save_params(epoch, metric, tape.params()),
//!         Decision::Continue => {}
//!         Decision::Stop => break,
//!     }
//! }
//! best.restore(tape.params_mut()).unwrap();
//! ```
//!
//! ## Tour
//!
//! - **Penalties** (prior information): [`Penalty`] — L2 `λ‖W‖²`, L1 `λ‖W‖₁`, elastic net
//!   `λ₁‖W‖₁ + λ₂‖W‖²` — as a value, a gradient, a term on the tape
//!   ([`Penalty::loss_term`]), summed over the parameters a [`ParamFilter`] selects
//!   ([`Penalty::loss_over_params`]), or added to gradients without a tape
//!   ([`Penalty::apply_to_grads`], [`Penalty::add_gradients_to_params`], and
//!   [`PenaltyTransform`], a `downhill-optim` gradient transformation).
//! - **Noise** (marginalized at test): [`Dropout`] (inverted, or the slide's form via
//!   [`DropoutScaling`]) and [`GaussianNoise`], switched by [`Mode`].
//! - **Data augmentation**: the [`augment`] module — [`Augmentation`] steps composed into a
//!   seeded [`Pipeline`], and [`render_grid`] to inspect a batch as PGM or inline SVG.
//! - **Constraints**: [`MaxNorm`] per unit and [`NonNeg`], applied after each optimizer step,
//!   chosen by config through [`Constraint`].
//! - **Early stopping**: [`EarlyStopping`] with [`Goal`] and [`Decision`], and
//!   [`BestSnapshot`] to restore the best weights.
//!
//! Every random function takes the caller's generator (`&mut impl Rng`), so a seeded run
//! repeats bit for bit. Hyperparameters are validated: a dropout `p` outside `[0, 1]` or a
//! negative `λ` is a [`RegError`], never a NaN later.
//!
//! ## Where the lecture's slides differ
//!
//! ```text
//! slide                                   here
//! ElasticNet = β‖W‖² + ‖W‖₁               λ₁‖W‖₁ + λ₂‖W‖² (Zou & Hastie 2005); λ₁ = 1, λ₂ = β is the slide
//! dropout: "on test, output normalized"    inverted dropout: ×1/(1−p) in training, identity at test
//!                                          (the slide's form is DropoutScaling::AtTest; equal in expectation)
//! L2 penalty ≈ weight decay               only for plain SGD; under Adam an L2 penalty is rescaled per
//!                                          coordinate, decoupled decay (AdamW, Loshchilov & Hutter 2019) is not
//! ```

pub mod augment;
mod constraint;
mod dropout;
mod early_stopping;
mod error;
mod filter;
mod mode;
mod noise;
mod optim;
mod penalty;
mod snapshot;
mod store;
mod transform;

pub use augment::{Augmentation, Fill, GrayImage, ImageShape, Pipeline, render_grid};
pub use constraint::{Constraint, MaxNorm, NonNeg, UnitAxis};
pub use dropout::{Dropout, DropoutScaling};
pub use early_stopping::{Decision, EarlyStopping, Goal};
pub use error::{RegError, Result};
pub use filter::{ParamFilter, ParamPredicate};
pub use mode::Mode;
pub use noise::GaussianNoise;
pub use penalty::Penalty;
pub use snapshot::BestSnapshot;
pub use transform::PenaltyTransform;
