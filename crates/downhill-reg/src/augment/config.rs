//! One augmentation step: a serde-selectable configuration with its random draw.

use downhill_tensor::Element;
use rand::{Rng, RngExt};

use super::geometry::{cutout, flip_horizontal, rotate, translate};
use super::{Fill, ImageShape};
use crate::error::{non_negative, probability};
use crate::noise::add_normal;
use crate::{RegError, Result};

/// One random image transformation, drawn independently for every image of a batch.
///
/// Serialized with a `kind` tag, so a CLI or a JSON config can name it:
/// `{"kind": "translate", "max_shift": 2, "fill": "zero"}`, `{"kind": "rotate",
/// "max_degrees": 10}`; [`Augmentation::by_name`] gives each kind with default parameters.
///
/// ```
/// use downhill_reg::Augmentation;
/// let a: Augmentation = serde_json::from_str(r#"{"kind":"cutout","size":8}"#).unwrap();
/// assert_eq!(a, Augmentation::Cutout { size: 8 });
/// assert_eq!(Augmentation::by_name("cutout").unwrap(), a);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Augmentation {
    /// A shift by `(dy, dx)`, each uniform in `−max_shift ..= max_shift` pixels.
    Translate {
        /// The largest shift `k` in pixels, per axis.
        max_shift: usize,
        /// What fills the uncovered border (default zeros).
        #[serde(default)]
        fill: Fill,
    },
    /// A left-right mirror with probability `p`. Not in [`Pipeline::standard`](super::Pipeline::standard):
    /// mirroring changes what a digit or a letter means.
    HorizontalFlip {
        /// The probability of flipping an image.
        p: f64,
    },
    /// A rotation by an angle uniform in `[−max_degrees, max_degrees]`, sampled bilinearly.
    Rotate {
        /// The largest angle, in degrees.
        max_degrees: f64,
    },
    /// Additive `N(0, std²)` noise on every element.
    GaussianNoise {
        /// The standard deviation.
        std: f64,
    },
    /// A `size × size` square of zeros at a uniformly random centre (DeVries & Taylor 2017);
    /// the square may be partly outside the image, as in the paper.
    Cutout {
        /// The side of the square, in pixels.
        size: usize,
    },
}

impl Augmentation {
    /// The augmentation called `name` with default parameters: `"translate"` (2 pixels,
    /// zero fill), `"horizontal_flip"` (p = 0.5), `"rotate"` (10°), `"gaussian_noise"`
    /// (σ = 0.1) or `"cutout"` (8 pixels).
    ///
    /// # Errors
    /// [`RegError::InvalidHyperparameter`] for another name.
    pub fn by_name(name: &str) -> Result<Self> {
        Ok(match name {
            "translate" => Augmentation::Translate {
                max_shift: 2,
                fill: Fill::Zero,
            },
            "horizontal_flip" => Augmentation::HorizontalFlip { p: 0.5 },
            "rotate" => Augmentation::Rotate { max_degrees: 10.0 },
            "gaussian_noise" => Augmentation::GaussianNoise { std: 0.1 },
            "cutout" => Augmentation::Cutout { size: 8 },
            _ => {
                return Err(RegError::InvalidHyperparameter {
                    op: "augmentation",
                    name: "name",
                    value: name.to_string(),
                    reason: "expected translate, horizontal_flip, rotate, gaussian_noise or cutout",
                });
            }
        })
    }

    /// Checks the parameters (needed after deserializing a config).
    ///
    /// # Errors
    /// [`RegError::InvalidHyperparameter`] for a probability outside `[0, 1]`, or a negative
    /// or non-finite angle or standard deviation.
    pub fn validate(&self) -> Result<()> {
        match *self {
            Augmentation::HorizontalFlip { p } => probability("horizontal_flip", "p", p),
            Augmentation::Rotate { max_degrees } => {
                non_negative("rotate", "max_degrees", max_degrees)
            }
            Augmentation::GaussianNoise { std } => non_negative("gaussian_noise", "std", std),
            Augmentation::Translate { .. } | Augmentation::Cutout { .. } => Ok(()),
        }
    }

    /// Draws this augmentation's random parameters and applies it to one image (`C·H·W`
    /// elements). Parameters are assumed valid (see [`Augmentation::validate`]); an empty
    /// image shape, or an image slice of another length, is left alone.
    pub fn apply_to_image<E: Element, R: Rng + ?Sized>(
        &self,
        image: &mut [E],
        shape: ImageShape,
        rng: &mut R,
    ) {
        if shape.is_empty() || image.len() != shape.len() {
            return;
        }
        match *self {
            Augmentation::Translate { max_shift, fill } => {
                // isize has no portable uniform sampler; i64 draws the same on every platform.
                let k = max_shift as i64;
                let dy = rng.random_range(-k..=k) as isize;
                let dx = rng.random_range(-k..=k) as isize;
                translate(image, shape, dy, dx, fill);
            }
            Augmentation::HorizontalFlip { p } => {
                if rng.random::<f64>() < p {
                    flip_horizontal(image, shape);
                }
            }
            Augmentation::Rotate { max_degrees } => {
                let angle = (2.0 * rng.random::<f64>() - 1.0) * max_degrees;
                rotate(image, shape, angle);
            }
            Augmentation::GaussianNoise { std } => add_normal(image, std, rng),
            Augmentation::Cutout { size } => {
                let cy = rng.random_range(0..shape.height as u64) as usize;
                let cx = rng.random_range(0..shape.width as u64) as usize;
                cutout(image, shape, cy, cx, size);
            }
        }
    }
}
