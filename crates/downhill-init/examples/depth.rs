//! How the initialization scale propagates through a 20-layer MLP (width 500, batch 1000).
//!
//! Prints the std of the activations per layer for zero, small random (N(0, 0.01²)), Xavier and
//! He init with tanh and ReLU, then the std of the backpropagated gradients.
//!
//! ```text
//! cargo run --release -p downhill-init --example depth
//! ```

use downhill_init::Init;
use downhill_init::depth_probe::{Activation, LayerStats, activation_stats};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

const DEPTH: usize = 20;
const WIDTH: usize = 500;
const BATCH: usize = 1000;

fn main() -> Result<(), downhill_init::InitError> {
    let schemes = ["zeros", "small_normal", "xavier_normal", "he_normal"];
    let activations = [("tanh", Activation::Tanh), ("relu", Activation::Relu)];
    let mut columns: Vec<(String, Vec<LayerStats>)> = Vec::new();
    for (act_name, activation) in activations {
        for name in schemes {
            let init: Init = name.parse()?;
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
            let stats =
                activation_stats::<f32>(&init, activation, &[WIDTH; DEPTH + 1], BATCH, &mut rng)?;
            columns.push((format!("{name}/{act_name}"), stats));
        }
    }
    print_table("std of activations h_l", &columns, |s| s.activation.std);
    print_table("std of gradients ∂L/∂s_l", &columns, |s| s.gradient.std);
    Ok(())
}

fn print_table(
    title: &str,
    columns: &[(String, Vec<LayerStats>)],
    value: impl Fn(&LayerStats) -> f64,
) {
    println!("\n{title}");
    print!("{:>5}", "layer");
    for (name, _) in columns {
        print!(" {name:>19}");
    }
    println!();
    for layer in 0..DEPTH {
        print!("{:>5}", layer + 1);
        for (_, stats) in columns {
            print!(" {:>19.3e}", value(&stats[layer]));
        }
        println!();
    }
}
