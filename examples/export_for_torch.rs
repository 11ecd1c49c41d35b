//! Export for PyTorch: train a small Sequential of Linear, BatchNorm1d, ReLU, Dropout and Tanh
//! layers briefly on the bundled wine data, save its checkpoint (safetensors, PyTorch's
//! `state_dict` names and layouts, the network spec in the metadata key `"downhill.spec"`),
//! plus the evaluation-mode outputs for some inputs — for `tools/torch_checkpoint.py`, which
//! loads the checkpoint into the equivalent `torch.nn.Sequential` with `strict=True` and
//! compares outputs.
//!
//! Writes `checkpoint.safetensors` and `io.safetensors` (tensors `inputs`, `outputs`) into the
//! directory given as the first argument (default `out/export_for_torch`).
//!
//! Run: `cargo run --release -p downhill --example export_for_torch -- [DIR]`
use std::path::PathBuf;

use downhill::checkpoint::save_checkpoint;
use downhill::{Activation, Error, LayerSpec, NetSpec, Network, TrainConfig, Trainer, data};
use rand::SeedableRng;
use safetensors::{Dtype, tensor::TensorView};

fn main() -> downhill::Result<()> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "out/export_for_torch".into()),
    );
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let mut rng = downhill::DefaultRng::seed_from_u64(0);
    let mut wine = data::load_bundled::<f32>("wine")?;
    let s = downhill::norm::Standardizer::fit(downhill::norm::Scaling::Standard, wine.features())?;
    *wine.features_mut() = s.transform(wine.features())?;
    let (train, val) = wine.split(0.2, true, &mut rng)?;

    let linear = |out| LayerSpec::Linear {
        out,
        init: None,
        bias: true,
    };
    let spec = NetSpec {
        input: 13,
        layers: vec![
            linear(32),
            LayerSpec::BatchNorm {
                eps: 1e-5,
                momentum: Some(0.1),
            },
            LayerSpec::Activation {
                kind: Activation::Relu,
            },
            LayerSpec::Dropout { p: 0.3 },
            linear(16),
            LayerSpec::Activation {
                kind: Activation::Tanh,
            },
            LayerSpec::Activation {
                kind: Activation::LeakyRelu { slope: 0.01 },
            },
            linear(3),
        ],
    };
    let mut net = Network::<f32>::from_spec(&spec, &mut rng)?;
    let mut trainer = Trainer::new(TrainConfig {
        epochs: 5,
        batch_size: 16,
        progress: false,
        ..TrainConfig::default()
    })?;
    let h = trainer.fit(&mut net, &train, Some(&val), &mut [])?;
    println!(
        "trained {} epochs, validation accuracy {:.3}",
        h.epochs.len(),
        h.last().and_then(|r| r.val_accuracy).unwrap_or(0.0)
    );

    let ck = dir.join("checkpoint.safetensors");
    save_checkpoint(&ck, &net, Some(&trainer))?;
    let inputs = val.features().clone();
    let outputs = net.predict(&inputs, &mut rng)?;
    let bytes = |t: &downhill::Tensor<f32>| -> Vec<u8> {
        t.as_slice().iter().flat_map(|v| v.to_le_bytes()).collect()
    };
    let (ib, ob) = (bytes(&inputs), bytes(&outputs));
    let views = [
        (
            "inputs",
            TensorView::new(Dtype::F32, inputs.shape().to_vec(), &ib),
        ),
        (
            "outputs",
            TensorView::new(Dtype::F32, outputs.shape().to_vec(), &ob),
        ),
    ];
    let views: Vec<(&str, TensorView<'_>)> = views
        .into_iter()
        .map(|(n, v)| v.map(|v| (n, v)).map_err(|e| Error::Data(e.to_string())))
        .collect::<downhill::Result<_>>()?;
    let io = safetensors::serialize(views, None).map_err(|e| Error::Data(e.to_string()))?;
    downhill::write_atomic(&dir.join("io.safetensors"), &io)?;
    println!(
        "wrote {} and {}",
        ck.display(),
        dir.join("io.safetensors").display()
    );
    Ok(())
}
