//! Command-line arguments (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// downhill: train neural networks, with the optimizers, schedules, initializations,
/// normalizations and regularizers of the lecture "Optimization and regularization in deep
/// learning".
#[derive(Debug, Parser)]
#[command(name = "downhill", version, about, long_about = None)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a network on a bundled data set or a CSV/IDX file and write history, plots,
    /// a checkpoint and summary.json into --out.
    Train(Box<TrainArgs>),
    /// Evaluate a checkpoint on data: loss, accuracy, top-k accuracy and the confusion matrix.
    Eval(EvalArgs),
    /// Predict classes and probabilities for the rows of a CSV file (features only), as CSV.
    Predict(PredictArgs),
    /// Reproduce the lecture's claims on real data: writes report.html and results.json.
    Lab(crate::lab::LabArgs),
    /// Measure the training workloads of the PyTorch anchor (same shapes, same keys).
    Bench(crate::bench::BenchArgs),
    /// Meta-train or evaluate the learned optimizer.
    L2o(crate::l2o::L2oArgs),
}

/// `downhill train`.
#[derive(Debug, Args)]
// `--lr -0.1` must reach validation (which names the argument), not be read as a flag.
#[command(allow_negative_numbers = true)]
pub struct TrainArgs {
    /// A TOML or JSON config file (see RunConfig); flags given here override it.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Bundled data set (digits, breast-cancer, wine, iris) or a CSV / IDX-images path.
    #[arg(long)]
    pub data: Option<String>,
    /// IDX label file, when --data is an IDX image file.
    #[arg(long)]
    pub labels: Option<PathBuf>,
    /// Fraction of rows held out for validation.
    #[arg(long)]
    pub val_fraction: Option<f64>,
    /// Input normalization: standard, min_max, pca_whitening, none.
    #[arg(long)]
    pub normalize: Option<String>,
    /// Hidden layer sizes, comma-separated (e.g. 256,128).
    #[arg(long, value_delimiter = ',')]
    pub hidden: Option<Vec<usize>>,
    /// Hidden activation: relu, tanh, sigmoid, softplus, leaky_relu.
    #[arg(long)]
    pub activation: Option<String>,
    /// Weight initialization: pytorch_default, he_normal, xavier_uniform, small_normal, zeros, …
    #[arg(long)]
    pub init: Option<String>,
    /// Batch norm after each hidden Linear.
    #[arg(long)]
    pub batch_norm: bool,
    /// Layer norm after each hidden Linear.
    #[arg(long)]
    pub layer_norm: bool,
    /// Dropout probability after each hidden activation.
    #[arg(long)]
    pub dropout: Option<f64>,
    /// Gaussian noise std added to the inputs in training.
    #[arg(long)]
    pub input_noise: Option<f64>,
    /// Optimizer: sgd, adagrad, adadelta, rmsprop, adam, adamw, nadam, radam, adamax, lion, lamb,
    /// or learned (the shipped meta-trained optimizer of downhill-l2o; --lr scales its step).
    #[arg(long)]
    pub optimizer: Option<String>,
    /// Learning rate.
    #[arg(long)]
    pub lr: Option<f64>,
    /// Momentum (SGD, RMSprop).
    #[arg(long)]
    pub momentum: Option<f64>,
    /// Nesterov momentum (SGD).
    #[arg(long)]
    pub nesterov: bool,
    /// Dampening (SGD).
    #[arg(long)]
    pub dampening: Option<f64>,
    /// Weight decay (L2 for most; decoupled for AdamW).
    #[arg(long)]
    pub weight_decay: Option<f64>,
    /// Adam-family betas, comma-separated (e.g. 0.9,0.999).
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub betas: Option<Vec<f64>>,
    /// Epsilon of the adaptive optimizers.
    #[arg(long)]
    pub eps: Option<f64>,
    /// AMSGrad variant (Adam, AdamW).
    #[arg(long)]
    pub amsgrad: bool,
    /// RMSprop smoothing constant.
    #[arg(long)]
    pub alpha: Option<f64>,
    /// Centered RMSprop.
    #[arg(long)]
    pub centered: bool,
    /// Adadelta's rho.
    #[arg(long)]
    pub rho: Option<f64>,
    /// Learning-rate schedule: step, multistep, exponential, cosine, warm_restarts, warmup,
    /// onecycle, plateau (sensible parameters from --epochs), or a JSON ScheduleConfig.
    #[arg(long)]
    pub schedule: Option<String>,
    /// Clip the global gradient norm to this value.
    #[arg(long)]
    pub clip_grad_norm: Option<f64>,
    /// Weight penalty: l2:LAMBDA, l1:LAMBDA or elastic:L1,L2.
    #[arg(long)]
    pub penalty: Option<String>,
    /// Augmentations (image data), comma-separated: translate, rotate, gaussian_noise, cutout, horizontal_flip.
    #[arg(long, value_delimiter = ',')]
    pub augment: Option<Vec<String>>,
    /// Early stopping patience in epochs (on validation loss, restoring the best weights).
    #[arg(long)]
    pub early_stopping: Option<usize>,
    /// Max-norm constraint on each unit's incoming weights.
    #[arg(long)]
    pub max_norm: Option<f64>,
    /// Loss: cross_entropy, mse, bce_with_logits, multi_hinge.
    #[arg(long)]
    pub loss: Option<String>,
    /// Label smoothing for cross-entropy.
    #[arg(long)]
    pub label_smoothing: Option<f64>,
    /// Epochs (in total, when resuming).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Mini-batch size.
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Seed of every random choice.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Skip steps with a non-finite loss or gradient instead of stopping with an error.
    #[arg(long)]
    pub skip_nonfinite: bool,
    /// Output directory.
    #[arg(long, default_value = "out/train")]
    pub out: PathBuf,
    /// Resume from this checkpoint (training continues to --epochs in total).
    #[arg(long)]
    pub resume: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// `downhill eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The checkpoint (checkpoint.safetensors from `downhill train`).
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// Bundled data set name or a CSV / IDX path (the checkpoint's input normalization is applied).
    #[arg(long)]
    pub data: String,
    /// IDX label file, when --data is an IDX image file.
    #[arg(long)]
    pub labels: Option<PathBuf>,
    /// Also report top-k accuracy for this k.
    #[arg(long, default_value_t = 3)]
    pub top_k: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `downhill predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// The checkpoint.
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// A CSV file of feature rows (no label column; header optional).
    #[arg(long)]
    pub input: PathBuf,
    /// Where to write the predictions CSV (default: standard output).
    #[arg(long)]
    pub output: Option<PathBuf>,
}
