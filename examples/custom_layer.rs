//! A custom layer: implement `downhill::Module` for a learned per-feature scale-and-shift with a
//! "swish" nonlinearity, `y = (x·a + b) · σ(x·a + b)`, add it with `Network::push` between
//! standard `Linear` layers, and train the whole network on the two-spirals problem.
//!
//! The layer registers its parameters under the prefix the network gives it (`"1.a"`,
//! `"1.b"`, as `nn.Sequential` names them) and records its forward pass on the tape; the
//! backward pass comes from the tape's primitives, so no gradient code is written here.
//!
//! Run: `cargo run --release -p downhill --example custom_layer`
use downhill::autograd::{ParamId, Tape, Var};
use downhill::layers::{Forward, Linear};
use downhill::{Module, Network, Tensor, TrainConfig, Trainer, data};
use rand::SeedableRng;

/// `y = z · σ(z)` with `z = x ⊙ a + b`, `a` and `b` learned per feature.
struct ScaledSwish {
    a: ParamId,
    b: ParamId,
}

impl Module<f32> for ScaledSwish {
    fn describe(&self) -> String {
        "ScaledSwish".into()
    }

    fn forward(
        &mut self,
        tape: &mut Tape<f32>,
        x: Var,
        _fwd: &mut Forward<'_>,
    ) -> downhill::Result<Var> {
        let (a, b) = (tape.param(self.a)?, tape.param(self.b)?);
        let scaled = tape.mul(x, a)?;
        let z = tape.add(scaled, b)?;
        let gate = tape.sigmoid(z)?;
        Ok(tape.mul(z, gate)?)
    }
}

fn main() -> downhill::Result<()> {
    let mut rng = downhill::DefaultRng::seed_from_u64(0);
    let spirals = data::two_spirals::<f32>(300, 0.05, &mut rng)?;
    let (train, val) = spirals.split(0.2, true, &mut rng)?;

    let mut net = Network::<f32>::new(2);
    for (inputs, outputs) in [(2, 64), (64, 64)] {
        net.push(|store, prefix| {
            Ok(Box::new(Linear::new(
                store, prefix, inputs, outputs, None, true, &mut rng,
            )?))
        })?;
        net.push(|store, prefix| {
            let a = store.add(format!("{prefix}a"), Tensor::ones(&[outputs]))?;
            let b = store.add(format!("{prefix}b"), Tensor::zeros(&[outputs]))?;
            Ok(Box::new(ScaledSwish { a, b }))
        })?;
    }
    net.push(|store, prefix| {
        Ok(Box::new(Linear::new(
            store, prefix, 64, 2, None, true, &mut rng,
        )?))
    })?;
    println!("{net:?}");
    println!("parameters: {:?}", net.param_names());

    let mut trainer = Trainer::new(TrainConfig {
        epochs: 150,
        batch_size: 32,
        hyper: downhill::optim::Hyper {
            lr: Some(0.01),
            ..Default::default()
        },
        progress: false,
        ..TrainConfig::default()
    })?;
    let history = trainer.fit(&mut net, &train, Some(&val), &mut [])?;
    let last = history.last().expect("trained");
    println!(
        "two spirals after {} epochs: train loss {:.3}, validation accuracy {:.3}",
        last.epoch,
        last.train_loss,
        last.val_accuracy.unwrap_or(0.0)
    );
    Ok(())
}
