//! Quickstart: train an MLP on the bundled digits and report validation accuracy.
//!
//! Run: `cargo run --release -p downhill --example quickstart`
use downhill::{Activation, NetSpec, Network, TrainConfig, Trainer, data};
use rand::SeedableRng;

fn main() -> downhill::Result<()> {
    let mut rng = downhill::DefaultRng::seed_from_u64(0);
    let mut digits = data::load_bundled::<f32>("digits")?;
    digits.scale_features(1.0 / 16.0); // pixels 0..16 → [0, 1]
    let (train, val) = digits.split(0.2, true, &mut rng)?;
    let spec = NetSpec::mlp(64, &[256, 128], 10, Activation::Relu, None);
    let mut net = Network::<f32>::from_spec(&spec, &mut rng)?;
    let mut trainer = Trainer::new(TrainConfig {
        epochs: 30,
        ..TrainConfig::default()
    })?;
    let history = trainer.fit(&mut net, &train, Some(&val), &mut [])?;
    let last = history.last().expect("30 epochs ran");
    println!(
        "validation accuracy after {} epochs: {:.3}",
        last.epoch,
        last.val_accuracy.unwrap_or(0.0)
    );
    Ok(())
}
