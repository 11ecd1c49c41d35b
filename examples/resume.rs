//! Resuming training exactly: train 4 epochs, `save_checkpoint` (weights, batch-norm buffers,
//! optimizer and schedule state, random generator, history), `load_checkpoint` and continue to
//! 8 epochs — then compare with an uninterrupted 8-epoch run. Weights and history are
//! bit-identical (apart from wall-clock times).
//!
//! Run: `cargo run --release -p downhill --example resume`
use downhill::checkpoint::{load_checkpoint, save_checkpoint};
use downhill::data::Dataset;
use downhill::{Activation, EpochRecord, LayerSpec, NetSpec, Network, TrainConfig, Trainer, data};
use rand::SeedableRng;

fn spec() -> NetSpec {
    let linear = |out| LayerSpec::Linear {
        out,
        init: None,
        bias: true,
    };
    NetSpec {
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
            LayerSpec::Dropout { p: 0.2 },
            linear(3),
        ],
    }
}

fn config(epochs: usize) -> downhill::Result<TrainConfig> {
    Ok(TrainConfig {
        epochs,
        batch_size: 16,
        schedule: Some(
            serde_json::from_str(r#"{"name": "cosineannealinglr", "t_max": 8}"#)
                .map_err(|e| downhill::Error::config("schedule", e.to_string()))?,
        ),
        progress: false,
        ..TrainConfig::default()
    })
}

fn weights(net: &Network<f32>) -> Vec<f32> {
    let params = net
        .params()
        .iter()
        .flat_map(|p| p.value.as_slice().to_vec());
    params
        .chain(
            net.buffers()
                .into_iter()
                .flat_map(|(_, t)| t.as_slice().to_vec()),
        )
        .collect()
}

fn timeless(h: &[EpochRecord]) -> Vec<EpochRecord> {
    h.iter()
        .map(|r| EpochRecord {
            wall_time_s: 0.0,
            ..r.clone()
        })
        .collect()
}

fn main() -> downhill::Result<()> {
    let mut rng = downhill::DefaultRng::seed_from_u64(0);
    let mut wine: Dataset<f32> = data::load_bundled("wine")?;
    // Standardize with statistics of the whole set (fine for a demonstration).
    let s = downhill::norm::Standardizer::fit(downhill::norm::Scaling::Standard, wine.features())?;
    *wine.features_mut() = s.transform(wine.features())?;
    let (train, val) = wine.split(0.25, true, &mut rng)?;
    let init = rng.clone();

    // Uninterrupted: 8 epochs.
    let mut net = Network::<f32>::from_spec(&spec(), &mut init.clone())?;
    let mut trainer = Trainer::new(config(8)?)?;
    trainer.fit(&mut net, &train, Some(&val), &mut [])?;

    // Interrupted: 4 epochs, save, load, continue to 8.
    let dir = std::env::temp_dir().join(format!("downhill-resume-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| downhill::Error::io(&dir, e))?;
    let path = dir.join("epoch4.safetensors");
    {
        let mut first = Network::<f32>::from_spec(&spec(), &mut init.clone())?;
        let mut t = Trainer::new(config(4)?)?;
        t.fit(&mut first, &train, Some(&val), &mut [])?;
        save_checkpoint(&path, &first, Some(&t))?;
        println!("saved after epoch {} to {}", t.epoch(), path.display());
    }
    let ck = load_checkpoint::<f32>(&path)?;
    let (mut resumed, mut t) = (ck.net, ck.trainer.expect("a training checkpoint"));
    t.set_epochs(8)?;
    t.fit(&mut resumed, &train, Some(&val), &mut [])?;
    let _ = std::fs::remove_dir_all(&dir);

    for (a, b) in trainer.history().epochs.iter().zip(&t.history().epochs) {
        println!(
            "epoch {}: val loss {:.6} / {:.6}, lr {:.6} / {:.6}",
            a.epoch,
            a.val_loss.unwrap_or(f64::NAN),
            b.val_loss.unwrap_or(f64::NAN),
            a.lr,
            b.lr
        );
    }
    let same_weights = weights(&net) == weights(&resumed);
    let same_history = timeless(&trainer.history().epochs) == timeless(&t.history().epochs);
    println!("identical weights: {same_weights}; identical history: {same_history}");
    assert!(same_weights && same_history, "resume must be exact");
    Ok(())
}
