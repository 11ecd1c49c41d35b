//! Small MLP classifiers trained full-batch with downhill-autograd, the second task family.

use downhill_autograd::{ParamStore, Reduction, Tape};
use downhill_tensor::Tensor;
use rand::{Rng, RngExt, SeedableRng};

use crate::error::{Result, config};
use crate::synthetic::Synthetic;
use crate::task::Task;

/// The hidden nonlinearity of an [`MlpTask`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hidden {
    /// `tanh`.
    Tanh,
    /// `relu`.
    Relu,
}

/// Full-batch training of an MLP classifier: mean softmax cross-entropy on fixed data.
///
/// ```text
/// h₀ = X;  h_{k+1} = act(h_k W_kᵀ + b_k);  logits = h_L W_Lᵀ + b_L
/// loss = mean_i −log softmax(logits_i)[y_i]
/// ```
///
/// Weights are LeCun-normal (downhill-init), biases zero, drawn from `init_seed`, so every
/// optimizer compared on the task starts from the same point. Parameters are ordered
/// `W₀, b₀, W₁, b₁, …` with `W` stored `[out, in]`.
#[derive(Debug, Clone)]
pub struct MlpTask {
    name: String,
    x: Tensor<f64>,
    y: Vec<usize>,
    sizes: Vec<usize>,
    hidden: Hidden,
    init: Vec<Tensor<f64>>,
}

impl MlpTask {
    /// An MLP with the given hidden widths on features `x` (`[n, in]`) and labels `y` in
    /// `0..classes`.
    ///
    /// # Errors
    /// Non-2-D or empty features, a label count differing from the rows, a label out of range.
    pub fn new(
        name: impl Into<String>,
        x: Tensor<f64>,
        y: Vec<usize>,
        classes: usize,
        widths: &[usize],
        hidden: Hidden,
        init_seed: u64,
    ) -> Result<Self> {
        if x.ndim() != 2 || x.shape()[0] == 0 || x.shape()[0] != y.len() {
            return Err(config(
                "mlp task",
                format!("features {:?} for {} labels", x.shape(), y.len()),
            ));
        }
        if classes < 2 || y.iter().any(|&c| c >= classes) {
            return Err(config(
                "mlp task",
                format!("labels must be in 0..{classes}, classes ≥ 2"),
            ));
        }
        let mut sizes = vec![x.shape()[1]];
        sizes.extend_from_slice(widths);
        sizes.push(classes);
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(init_seed);
        let mut init = Vec::new();
        for w in sizes.windows(2) {
            init.push(downhill_init::lecun_normal(&mut rng, &[w[1], w[0]])?);
            init.push(Tensor::zeros(&[w[1]]));
        }
        Ok(Self {
            name: name.into(),
            x,
            y,
            sizes,
            hidden,
            init,
        })
    }

    /// The features `[n, in]` the task trains on.
    pub fn features(&self) -> &Tensor<f64> {
        &self.x
    }

    /// The labels, one per feature row.
    pub fn labels(&self) -> &[usize] {
        &self.y
    }

    /// The layer sizes: input, hidden widths, classes.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }

    /// A member of the family: 64 points of a random synthetic set (blobs in 2–32 dimensions
    /// with 2–8 classes, 2–3-arm spirals, or XOR), one hidden layer of 8–32 units, tanh or relu.
    ///
    /// # Errors
    /// None in practice (the sampled sizes are valid).
    pub fn sample(rng: &mut impl Rng) -> Result<Self> {
        let data = match rng.random_range(0..3) {
            0 => Synthetic::Blobs {
                dim: rng.random_range(2..=32),
                classes: rng.random_range(2..=8),
            },
            1 => Synthetic::Spirals {
                classes: rng.random_range(2..=3),
            },
            _ => Synthetic::Xor,
        };
        Self::sample_on(rng, data)
    }

    /// A member of the family on the given kind of synthetic data.
    ///
    /// # Errors
    /// None in practice (the sampled sizes are valid).
    pub fn sample_on(rng: &mut impl Rng, data: Synthetic) -> Result<Self> {
        let (x, y) = data.generate(rng, 64);
        let width = rng.random_range(8..=32);
        let hidden = if rng.random::<bool>() {
            Hidden::Tanh
        } else {
            Hidden::Relu
        };
        let name = format!("mlp({data:?}, {width} {hidden:?})");
        Self::new(name, x, y, data.classes(), &[width], hidden, rng.random())
    }
}

impl Task for MlpTask {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn init(&self) -> Vec<Tensor<f64>> {
        self.init.clone()
    }

    fn loss_and_grad(&self, params: &[Tensor<f64>]) -> Result<(f64, Vec<Tensor<f64>>)> {
        if params.len() != self.init.len() {
            return Err(config(
                "mlp task",
                format!("expects {} parameters", self.init.len()),
            ));
        }
        let mut store = ParamStore::new();
        let ids = params
            .iter()
            .enumerate()
            .map(|(i, p)| store.add(i.to_string(), p.clone()))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let mut tape = Tape::with_params(store);
        let mut h = tape.constant(self.x.clone());
        let layers = self.sizes.len() - 1;
        for k in 0..layers {
            let (w, b) = (tape.param(ids[2 * k])?, tape.param(ids[2 * k + 1])?);
            h = tape.linear(h, w, Some(b))?;
            if k + 1 < layers {
                h = match self.hidden {
                    Hidden::Tanh => tape.tanh(h)?,
                    Hidden::Relu => tape.relu(h)?,
                };
            }
        }
        let loss = tape.cross_entropy(h, &self.y, Reduction::Mean)?;
        let value = tape.value(loss)?.item()?;
        tape.backward(loss)?;
        let grads = tape.into_params().iter().map(|p| p.grad.clone()).collect();
        Ok((value, grads))
    }
}
