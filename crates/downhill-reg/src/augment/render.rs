//! A grid of images as an 8-bit grayscale picture, written as PGM or as a self-contained SVG.

use std::fmt::Write as _;

use downhill_tensor::{Element, Tensor};

use super::ImageShape;
use crate::{RegError, Result};

/// An 8-bit grayscale picture, row-major, one byte per pixel (0 black, 255 white).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrayImage {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// `width · height` bytes, row by row.
    pub pixels: Vec<u8>,
}

/// The gap between tiles, mid-grey so that black-background digits stay apart.
const GAP: u8 = 128;

/// Lays out a batch of images (`[N, C, H, W]` or `[N, C·H·W]`) as a grid of `cols` columns,
/// with a one-pixel mid-grey gap around each tile, and maps values linearly to `0..=255`
/// (the batch's minimum to black, its maximum to white; channels are averaged; a constant
/// batch is black; NaN is black).
///
/// ```
/// use downhill_reg::{render_grid, ImageShape};
/// use downhill_tensor::Tensor;
/// let batch = Tensor::<f32>::from_fn(&[3, 4], |ix| ix[1] as f32); // three 2×2 images
/// let grid = render_grid(&batch, ImageShape::gray(2, 2), 2).unwrap();
/// assert_eq!((grid.width, grid.height), (7, 7)); // 2 columns, 2 rows of 2×2 tiles
/// assert!(grid.to_pgm().starts_with(b"P5\n7 7\n255\n"));
/// assert!(grid.to_svg(4).starts_with("<svg"));
/// ```
///
/// # Errors
/// [`RegError::ImageShape`] when the batch does not hold whole images of shape `image`;
/// [`RegError::InvalidHyperparameter`] for `cols = 0`.
pub fn render_grid<E: Element>(
    images: &Tensor<E>,
    image: ImageShape,
    cols: usize,
) -> Result<GrayImage> {
    let n = image.batch_len("render_grid", images.shape())?;
    if cols == 0 {
        return Err(RegError::InvalidHyperparameter {
            op: "render_grid",
            name: "cols",
            value: "0".to_string(),
            reason: "expected at least one column",
        });
    }
    let rows = n.div_ceil(cols);
    let (h, w) = (image.height, image.width);
    let gray = grayscale(images.as_slice(), image);
    let (width, height) = (cols * (w + 1) + 1, rows * (h + 1) + 1);
    let mut pixels = vec![GAP; width * height];
    for (i, tile) in gray.chunks_exact(image.plane()).enumerate() {
        let (top, left) = ((i / cols) * (h + 1) + 1, (i % cols) * (w + 1) + 1);
        for y in 0..h {
            let start = (top + y) * width + left;
            pixels[start..start + w].copy_from_slice(&tile[y * w..(y + 1) * w]);
        }
    }
    Ok(GrayImage {
        width,
        height,
        pixels,
    })
}

/// Channel means, mapped to bytes by the batch's finite min and max.
fn grayscale<E: Element>(data: &[E], image: ImageShape) -> Vec<u8> {
    let plane = image.plane();
    let means: Vec<f64> = data
        .chunks_exact(image.len())
        .flat_map(|img| {
            (0..plane).map(move |p| {
                let s: f64 = (0..image.channels)
                    .map(|c| img[c * plane + p].as_f64())
                    .sum();
                s / image.channels as f64
            })
        })
        .collect();
    let finite = means.iter().copied().filter(|v| v.is_finite());
    let lo = finite.clone().fold(f64::INFINITY, f64::min);
    let hi = finite.fold(f64::NEG_INFINITY, f64::max);
    means
        .iter()
        .map(|&v| {
            if hi > lo && v.is_finite() {
                ((v - lo) / (hi - lo) * 255.0).round() as u8
            } else {
                0
            }
        })
        .collect()
}

impl GrayImage {
    /// The picture as a binary PGM file (`P5`, maxval 255).
    pub fn to_pgm(&self) -> Vec<u8> {
        let mut out = format!("P5\n{} {}\n255\n", self.width, self.height).into_bytes();
        out.extend_from_slice(&self.pixels);
        out
    }

    /// The picture as a self-contained SVG string, each pixel a `pixel_size`-unit square: a
    /// black background, then one `<rect>` per horizontal run of equal non-black pixels, so the
    /// lab can inline it in HTML without any image file.
    pub fn to_svg(&self, pixel_size: usize) -> String {
        let s = pixel_size.max(1);
        let (w, h) = (self.width * s, self.height * s);
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
             viewBox=\"0 0 {w} {h}\" shape-rendering=\"crispEdges\">\
             <rect width=\"{w}\" height=\"{h}\" fill=\"#000\"/>"
        );
        for (y, row) in self.pixels.chunks_exact(self.width.max(1)).enumerate() {
            let mut x = 0;
            while x < row.len() {
                let v = row[x];
                let run = row[x..].iter().take_while(|&&p| p == v).count();
                if v != 0 {
                    let _ = write!(
                        svg,
                        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{s}\" fill=\"#{v:02x}{v:02x}{v:02x}\"/>",
                        x * s,
                        y * s,
                        run * s
                    );
                }
                x += run;
            }
        }
        svg.push_str("</svg>");
        svg
    }
}
