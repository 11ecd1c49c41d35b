//! Augmentation invariants, reproducibility, statistics, rendering and errors.

use downhill_reg::augment::{cutout, flip_horizontal, rotate, translate};
use downhill_reg::{Augmentation, Fill, ImageShape, Pipeline, RegError, render_grid};
use downhill_tensor::Tensor;
use proptest::prelude::*;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

fn rng(seed: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed)
}

fn random_image(shape: ImageShape, seed: u64) -> Vec<f64> {
    let mut r = rng(seed);
    (0..shape.len()).map(|_| r.random::<f64>()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn shift_then_unshift_restores_the_interior(
        dy in -3isize..=3, dx in -3isize..=3, edge in any::<bool>(), seed in 0u64..1000,
    ) {
        let shape = ImageShape::new(2, 9, 7);
        let original = random_image(shape, seed);
        let mut img = original.clone();
        let fill = if edge { Fill::Edge } else { Fill::Zero };
        translate(&mut img, shape, dy, dx, fill);
        translate(&mut img, shape, -dy, -dx, fill);
        let (ky, kx) = (dy.unsigned_abs(), dx.unsigned_abs());
        for c in 0..2 {
            for y in ky..9 - ky {
                for x in kx..7 - kx {
                    let i = c * 63 + y * 7 + x;
                    prop_assert_eq!(img[i], original[i]);
                }
            }
        }
    }

    #[test]
    fn flip_twice_is_the_identity(seed in 0u64..1000) {
        let shape = ImageShape::new(3, 5, 6);
        let original = random_image(shape, seed);
        let mut img = original.clone();
        flip_horizontal(&mut img, shape);
        prop_assert_ne!(&img, &original);
        flip_horizontal(&mut img, shape);
        prop_assert_eq!(img, original);
    }

    #[test]
    fn rotation_by_zero_is_the_identity(seed in 0u64..1000, h in 1usize..12, w in 1usize..12) {
        let shape = ImageShape::new(1, h, w);
        let original = random_image(shape, seed);
        let mut img = original.clone();
        rotate(&mut img, shape, 0.0);
        prop_assert_eq!(img, original);
    }
}

#[test]
fn shift_moves_pixels_and_fills() {
    let shape = ImageShape::gray(2, 3);
    let mut img = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    translate(&mut img, shape, 0, 1, Fill::Zero);
    assert_eq!(img, [0.0, 1.0, 2.0, 0.0, 4.0, 5.0]);
    let mut img = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    translate(&mut img, shape, -1, 0, Fill::Edge);
    assert_eq!(img, [4.0, 5.0, 6.0, 4.0, 5.0, 6.0]);
}

#[test]
fn rotation_by_90_degrees_is_exact_up_to_rounding() {
    let shape = ImageShape::gray(5, 5);
    let original = random_image(shape, 1);
    let mut img = original.clone();
    rotate(&mut img, shape, 90.0);
    // Counterclockwise as displayed: out[y][x] = in[x][W − 1 − y].
    for y in 0..5 {
        for x in 0..5 {
            assert!((img[y * 5 + x] - original[x * 5 + (4 - y)]).abs() < 1e-9);
        }
    }
    let mut img = original.clone();
    for _ in 0..4 {
        rotate(&mut img, shape, 90.0);
    }
    let diff = img
        .iter()
        .zip(&original)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(diff < 1e-9);
}

#[test]
fn small_rotation_interpolates_and_keeps_the_centre() {
    let shape = ImageShape::gray(7, 7);
    let mut img = vec![0.0f32; 49];
    img[24] = 1.0; // centre pixel
    rotate(&mut img, shape, 7.0);
    assert_eq!(img[24], 1.0);
    let mut img = vec![1.0f32; 49];
    rotate(&mut img, shape, 30.0);
    assert!(img[0] < 1.0, "a corner samples from outside: partly zero");
}

#[test]
fn cutout_zeros_a_square_clipped_at_the_border() {
    let shape = ImageShape::new(2, 10, 10);
    let mut img = vec![1.0f64; 200];
    cutout(&mut img, shape, 5, 5, 4);
    assert_eq!(img.iter().filter(|&&v| v == 0.0).count(), 2 * 16);
    assert_eq!(img[3 * 10 + 3], 0.0);
    assert_eq!(img[2 * 10 + 3], 1.0);
    let mut img = vec![1.0f64; 200];
    cutout(&mut img, shape, 0, 9, 4); // a corner: 2×2 remains inside (rows 0..2, cols 7..10)
    assert_eq!(img.iter().filter(|&&v| v == 0.0).count(), 2 * 2 * 3);
    let mut img = vec![1.0f64; 200];
    cutout(&mut img, shape, 50, 50, 4); // far outside: nothing, no panic
    assert!(img.iter().all(|&v| v == 1.0));
}

fn full_pipeline() -> Pipeline {
    Pipeline::new(vec![
        Augmentation::Translate {
            max_shift: 2,
            fill: Fill::Zero,
        },
        Augmentation::HorizontalFlip { p: 0.5 },
        Augmentation::Rotate { max_degrees: 15.0 },
        Augmentation::GaussianNoise { std: 0.05 },
        Augmentation::Cutout { size: 4 },
    ])
    .unwrap()
}

#[test]
fn seeded_runs_repeat_exactly_and_layouts_agree() {
    let shape = ImageShape::new(1, 12, 12);
    let batch = Tensor::<f32>::from_vec(
        &[6, 144],
        random_image(ImageShape::gray(36, 24), 3)
            .iter()
            .map(|&v| v as f32)
            .collect(),
    )
    .unwrap();
    let run = |b: &Tensor<f32>, seed| {
        let mut b = b.clone();
        full_pipeline()
            .apply(&mut b, shape, &mut rng(seed))
            .unwrap();
        b
    };
    let (a, b, c) = (run(&batch, 5), run(&batch, 5), run(&batch, 6));
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_ne!(a, batch);
    let as_nchw = run(&batch.reshaped(&[6, 1, 12, 12]).unwrap(), 5);
    assert_eq!(as_nchw.reshape(&[6, 144]).unwrap(), a);
}

#[test]
fn labels_stay_with_their_images() {
    // Constant images whose value is their label: edge-filled shifts and flips keep them
    // constant, so row i must still hold label i.
    let n = 10;
    let shape = ImageShape::gray(6, 6);
    let mut batch = Tensor::<f64>::from_fn(&[n, 36], |ix| ix[0] as f64);
    let p = Pipeline::new(vec![
        Augmentation::Translate {
            max_shift: 3,
            fill: Fill::Edge,
        },
        Augmentation::HorizontalFlip { p: 0.5 },
    ])
    .unwrap();
    p.apply(&mut batch, shape, &mut rng(1)).unwrap();
    for (label, row) in batch.as_slice().chunks(36).enumerate() {
        assert!(row.iter().all(|&v| v == label as f64));
    }
}

#[test]
fn random_translation_moves_at_most_k_pixels_and_covers_the_range() {
    let (k, shape) = (2usize, ImageShape::gray(11, 11));
    let p = Pipeline::new(vec![Augmentation::Translate {
        max_shift: k,
        fill: Fill::Zero,
    }])
    .unwrap();
    let mut batch = Tensor::<f64>::zeros(&[200, 121]);
    for row in batch.as_mut_slice().chunks_mut(121) {
        row[5 * 11 + 5] = 1.0;
    }
    p.apply(&mut batch, shape, &mut rng(2)).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for row in batch.as_slice().chunks(121) {
        let at = row.iter().position(|&v| v == 1.0).unwrap();
        let (dy, dx) = (at as isize / 11 - 5, at as isize % 11 - 5);
        assert!(dy.unsigned_abs() <= k && dx.unsigned_abs() <= k);
        seen.insert((dy, dx));
    }
    assert_eq!(seen.len(), 25, "all (2k+1)² shifts occur in 200 draws");
}

#[test]
fn flip_probability_within_five_standard_errors() {
    let (n, p) = (4000, 0.3);
    let shape = ImageShape::gray(1, 2);
    let mut batch = Tensor::<f64>::from_fn(&[n, 2], |ix| ix[1] as f64);
    Pipeline::new(vec![Augmentation::HorizontalFlip { p }])
        .unwrap()
        .apply(&mut batch, shape, &mut rng(3))
        .unwrap();
    let flipped = batch.as_slice().chunks(2).filter(|r| r[0] == 1.0).count() as f64 / n as f64;
    assert!(
        (flipped - p).abs() < 5.0 * (p * (1.0 - p) / n as f64).sqrt(),
        "{flipped}"
    );
}

#[test]
fn standard_pipeline_has_no_flip() {
    let std = Pipeline::standard();
    assert!(
        !std.steps()
            .iter()
            .any(|s| matches!(s, Augmentation::HorizontalFlip { .. }))
    );
    assert!(Pipeline::default().steps().is_empty());
}

#[test]
fn bad_image_shapes_are_errors_and_leave_the_batch_untouched() {
    let mut batch = Tensor::<f32>::ones(&[2, 10]);
    let p = Pipeline::standard();
    let err = p
        .apply(&mut batch, ImageShape::gray(3, 3), &mut rng(0))
        .unwrap_err();
    assert!(matches!(err, RegError::ImageShape { .. }));
    assert!(err.to_string().contains("does not divide"), "{err}");
    assert!(
        p.apply(&mut batch, ImageShape::gray(1, 5), &mut rng(0))
            .is_err()
    ); // two per row
    assert!(
        p.apply(&mut batch, ImageShape::gray(0, 5), &mut rng(0))
            .is_err()
    );
    let mut nchw = Tensor::<f32>::ones(&[2, 1, 4, 4]);
    assert!(
        p.apply(&mut nchw, ImageShape::gray(4, 5), &mut rng(0))
            .is_err()
    );
    let mut rank3 = Tensor::<f32>::ones(&[2, 4, 4]);
    assert!(
        p.apply(&mut rank3, ImageShape::gray(4, 4), &mut rng(0))
            .is_err()
    );
    assert_eq!(batch, Tensor::ones(&[2, 10]));
}

#[test]
fn bad_parameters_are_errors() {
    assert!(Pipeline::new(vec![Augmentation::HorizontalFlip { p: 1.5 }]).is_err());
    assert!(Pipeline::new(vec![Augmentation::GaussianNoise { std: -0.1 }]).is_err());
    assert!(
        Pipeline::new(vec![Augmentation::Rotate {
            max_degrees: f64::NAN
        }])
        .is_err()
    );
    assert!(Augmentation::by_name("mixup").is_err());
    let p: Pipeline = serde_json::from_str(r#"[{"kind":"horizontal_flip","p":-1}]"#).unwrap();
    let mut batch = Tensor::<f32>::ones(&[1, 4]);
    assert!(
        p.apply(&mut batch, ImageShape::gray(2, 2), &mut rng(0))
            .is_err()
    );
}

#[test]
fn config_round_trips_and_selects_by_name() {
    let p = full_pipeline();
    let json = serde_json::to_string(&p).unwrap();
    assert!(
        json.starts_with(r#"[{"kind":"translate","max_shift":2,"fill":"zero"}"#),
        "{json}"
    );
    assert_eq!(serde_json::from_str::<Pipeline>(&json).unwrap(), p);
    for name in [
        "translate",
        "horizontal_flip",
        "rotate",
        "gaussian_noise",
        "cutout",
    ] {
        let a = Augmentation::by_name(name).unwrap();
        assert!(serde_json::to_string(&a).unwrap().contains(name));
    }
    let t: Augmentation = serde_json::from_str(r#"{"kind":"translate","max_shift":1}"#).unwrap();
    assert_eq!(
        t,
        Augmentation::Translate {
            max_shift: 1,
            fill: Fill::Zero
        }
    );
}

#[test]
fn render_grid_lays_out_tiles_and_writes_pgm_and_svg() {
    let shape = ImageShape::gray(2, 3);
    let batch = Tensor::<f64>::from_fn(&[5, 6], |ix| (ix[0] * 6 + ix[1]) as f64);
    let g = render_grid(&batch, shape, 2).unwrap();
    assert_eq!((g.width, g.height), (2 * 4 + 1, 3 * 3 + 1));
    assert_eq!(g.pixels.len(), g.width * g.height);
    assert_eq!(g.pixels[g.width + 1], 0); // the first pixel of the first image: the minimum
    let last = (2 * 3 + 1 + 1) * g.width + 1 + 2; // image 4: row 2 of tiles, its last pixel
    assert_eq!(g.pixels[last], 255);
    assert_eq!(g.pixels[0], 128); // the gap
    let pgm = g.to_pgm();
    assert!(pgm.starts_with(b"P5\n9 10\n255\n"));
    assert_eq!(pgm.len(), b"P5\n9 10\n255\n".len() + 90);
    let svg = g.to_svg(3);
    assert!(
        svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"27\" height=\"30\"")
    );
    assert!(svg.ends_with("</svg>") && svg.contains("fill=\"#ffffff\""));
    // Colour images are averaged over channels.
    let rgb = Tensor::<f32>::from_fn(
        &[1, 3, 1, 2],
        |ix| if ix[3] == 0 { 0.0 } else { ix[1] as f32 },
    );
    let g = render_grid(&rgb, ImageShape::new(3, 1, 2), 4).unwrap();
    assert_eq!(&g.pixels[g.width + 1..g.width + 3], &[0, 255]);
}

#[test]
fn render_grid_errors() {
    let batch = Tensor::<f64>::zeros(&[2, 7]);
    assert!(render_grid(&batch, ImageShape::gray(2, 3), 2).is_err());
    let batch = Tensor::<f64>::zeros(&[2, 6]);
    assert!(render_grid(&batch, ImageShape::gray(2, 3), 0).is_err());
    let g = render_grid(&batch, ImageShape::gray(2, 3), 2).unwrap();
    assert!(
        g.pixels.iter().all(|&p| p == 0 || p == 128),
        "a constant batch is black"
    );
}
