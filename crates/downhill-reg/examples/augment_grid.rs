//! Renders a grid of augmented copies of a synthetic digit as a self-contained SVG (and a PGM).
//!
//! ```text
//! cargo run -p downhill-reg --example augment_grid -- [out_dir]
//! ```
//! Writes `augment_grid.svg` and `augment_grid.pgm` to `out_dir` (default: the temp directory).

use downhill_reg::{Augmentation, ImageShape, Pipeline, render_grid};
use downhill_tensor::Tensor;
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

/// A 28×28 "7": a bar across the top and a diagonal stroke down to the bottom left.
fn seven() -> Vec<f32> {
    let mut img = vec![0.0f32; 28 * 28];
    for x in 6..22 {
        img[6 * 28 + x] = 1.0;
        img[7 * 28 + x] = 1.0;
    }
    for y in 8..23 {
        let x = 21 - (y - 8) * 9 / 14;
        img[y * 28 + x] = 1.0;
        img[y * 28 + x - 1] = 1.0;
    }
    img
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (n, shape) = (16, ImageShape::gray(28, 28));
    let mut batch = Tensor::from_vec(&[n, 28 * 28], seven().repeat(n))?;
    let mut steps = Pipeline::standard().steps().to_vec();
    steps.push(Augmentation::Cutout { size: 8 });
    let pipeline = Pipeline::new(steps)?;
    println!("pipeline: {}", serde_json::to_string(&pipeline)?);
    pipeline.apply(&mut batch, shape, &mut Xoshiro256PlusPlus::seed_from_u64(0))?;
    let grid = render_grid(&batch, shape, 8)?;
    let dir = std::env::args()
        .nth(1)
        .map_or_else(std::env::temp_dir, Into::into);
    std::fs::write(dir.join("augment_grid.svg"), grid.to_svg(4))?;
    std::fs::write(dir.join("augment_grid.pgm"), grid.to_pgm())?;
    println!(
        "wrote {}x{} grid to {}",
        grid.width,
        grid.height,
        dir.display()
    );
    Ok(())
}
