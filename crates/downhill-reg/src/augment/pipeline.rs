//! A seeded, composable sequence of augmentations applied to whole batches.

use downhill_tensor::{Element, Tensor};
use rand::Rng;

use super::{Augmentation, Fill, ImageShape};
use crate::Result;

/// A sequence of [`Augmentation`]s applied on the fly, in order, to every image of a batch,
/// each image drawing its own random parameters from the caller's generator (so a seeded run
/// repeats exactly). Labels are untouched: image `i` stays at row `i`.
///
/// Serializes as the list of its steps, so a config file can spell it out.
///
/// ```
/// use downhill_reg::{Augmentation, ImageShape, Pipeline};
/// use downhill_tensor::Tensor;
/// use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
///
/// let pipeline = Pipeline::new(vec![
///     Augmentation::by_name("translate").unwrap(),
///     Augmentation::Rotate { max_degrees: 10.0 },
/// ]).unwrap();
/// let mut batch = Tensor::<f32>::ones(&[4, 28 * 28]); // MNIST-like, flat
/// let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
/// pipeline.apply(&mut batch, ImageShape::gray(28, 28), &mut rng).unwrap();
/// assert!(pipeline.apply(&mut batch, ImageShape::gray(27, 28), &mut rng).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Pipeline {
    steps: Vec<Augmentation>,
}

impl Pipeline {
    /// A pipeline of these steps, in order.
    ///
    /// # Errors
    /// The first step whose parameters are invalid.
    pub fn new(steps: Vec<Augmentation>) -> Result<Self> {
        let p = Self { steps };
        p.validate().map(|()| p)
    }

    /// A mild default for digits: shifts of up to 2 pixels, rotations of up to 10°. No
    /// horizontal flip (a mirrored 2 is no longer a 2).
    pub fn standard() -> Self {
        Self {
            steps: vec![
                Augmentation::Translate {
                    max_shift: 2,
                    fill: Fill::Zero,
                },
                Augmentation::Rotate { max_degrees: 10.0 },
            ],
        }
    }

    /// The steps, in order.
    pub fn steps(&self) -> &[Augmentation] {
        &self.steps
    }

    /// Checks every step (needed after deserializing a config).
    ///
    /// # Errors
    /// The first invalid step's error.
    pub fn validate(&self) -> Result<()> {
        self.steps.iter().try_for_each(Augmentation::validate)
    }

    /// Augments a batch in place: `[N, C, H, W]`, or `[N, C·H·W]` with `image` declaring the
    /// layout of each row. Image by image, the steps run in order.
    ///
    /// # Errors
    /// [`RegError::ImageShape`](crate::RegError::ImageShape) when the batch does not hold whole
    /// images of shape `image`; an invalid step. The batch is untouched on error.
    pub fn apply<E: Element, R: Rng + ?Sized>(
        &self,
        batch: &mut Tensor<E>,
        image: ImageShape,
        rng: &mut R,
    ) -> Result<()> {
        self.validate()?;
        image.batch_len("augment", batch.shape())?;
        for sample in batch.as_mut_slice().chunks_exact_mut(image.len()) {
            for step in &self.steps {
                step.apply_to_image(sample, image, rng);
            }
        }
        Ok(())
    }
}
