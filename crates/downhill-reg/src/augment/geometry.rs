//! The deterministic image transforms the random augmentations are built from.
//!
//! Each acts in place on one image, a slice of `C·H·W` elements in `[C, H, W]` order, applying
//! the same geometric change to every channel.

use downhill_tensor::Element;

use super::ImageShape;

/// What fills pixels that a shift or rotation uncovers.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Fill {
    /// Zeros (the background of MNIST-like data, or the mean of standardized data).
    #[default]
    Zero,
    /// The nearest edge pixel (replicate padding).
    Edge,
}

/// Shifts the image down by `dy` and right by `dx` pixels (negative values go up / left).
///
/// ```text
/// out[c, y, x] = in[c, y − dy, x − dx]   (uncovered pixels: 0, or the nearest edge pixel)
/// ```
/// Shifting by `(dy, dx)` and then by `(−dy, −dx)` restores every pixel at least `|dy|` rows
/// and `|dx|` columns from the border.
pub fn translate<E: Element>(image: &mut [E], shape: ImageShape, dy: isize, dx: isize, fill: Fill) {
    let (h, w) = (shape.height as isize, shape.width as isize);
    for plane in image.chunks_exact_mut(shape.plane()) {
        let src = plane.to_vec();
        for y in 0..h {
            for x in 0..w {
                let (sy, sx) = (y - dy, x - dx);
                let inside = (0..h).contains(&sy) && (0..w).contains(&sx);
                plane[(y * w + x) as usize] = match (inside, fill) {
                    (true, _) => src[(sy * w + sx) as usize],
                    (false, Fill::Zero) => E::zero(),
                    (false, Fill::Edge) => {
                        src[(sy.clamp(0, h - 1) * w + sx.clamp(0, w - 1)) as usize]
                    }
                };
            }
        }
    }
}

/// Mirrors the image left to right: `out[c, y, x] = in[c, y, W − 1 − x]`.
pub fn flip_horizontal<E: Element>(image: &mut [E], shape: ImageShape) {
    for row in image.chunks_exact_mut(shape.width.max(1)) {
        row.reverse();
    }
}

/// Rotates the image by `degrees` about its centre, counterclockwise as displayed (rows going
/// down), sampling bilinearly; pixels that come from outside the image are 0.
///
/// ```text
/// (cy, cx) = ((H − 1)/2, (W − 1)/2),  θ = degrees · π/180
/// out[y, x] = bilinear(in, cy + sin θ·(x − cx) + cos θ·(y − cy),
///                          cx + cos θ·(x − cx) − sin θ·(y − cy))
/// ```
/// A rotation by 0 is exactly the identity.
pub fn rotate<E: Element>(image: &mut [E], shape: ImageShape, degrees: f64) {
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (h, w) = (shape.height, shape.width);
    let (cy, cx) = ((h as f64 - 1.0) / 2.0, (w as f64 - 1.0) / 2.0);
    for plane in image.chunks_exact_mut(shape.plane()) {
        let src = plane.to_vec();
        for y in 0..h {
            for x in 0..w {
                let (dy, dx) = (y as f64 - cy, x as f64 - cx);
                let sy = cy + sin * dx + cos * dy;
                let sx = cx + cos * dx - sin * dy;
                plane[y * w + x] = E::of(bilinear(&src, h, w, sy, sx));
            }
        }
    }
}

/// Bilinear interpolation of a plane at a real position; neighbours outside count as 0.
fn bilinear<E: Element>(src: &[E], h: usize, w: usize, sy: f64, sx: f64) -> f64 {
    let (y0, x0) = (sy.floor(), sx.floor());
    let (fy, fx) = (sy - y0, sx - x0);
    let mut acc = 0.0;
    for (oy, wy) in [(0.0, 1.0 - fy), (1.0, fy)] {
        for (ox, wx) in [(0.0, 1.0 - fx), (1.0, fx)] {
            let weight = wy * wx;
            let (yy, xx) = (y0 + oy, x0 + ox);
            if weight == 0.0 || yy < 0.0 || xx < 0.0 || yy >= h as f64 || xx >= w as f64 {
                continue;
            }
            acc += weight * src[yy as usize * w + xx as usize].as_f64();
        }
    }
    acc
}

/// Sets to 0 the `size × size` square centred at `(cy, cx)` (clipped at the border), in every
/// channel: the cutout of DeVries & Taylor (2017), "Improved regularization of convolutional
/// neural networks with cutout".
///
/// ```text
/// rows  cy − ⌊size/2⌋ ..< cy − ⌊size/2⌋ + size,   columns likewise
/// ```
pub fn cutout<E: Element>(image: &mut [E], shape: ImageShape, cy: usize, cx: usize, size: usize) {
    let (h, w) = (shape.height, shape.width);
    let y0 = cy.saturating_sub(size / 2).min(h);
    let x0 = cx.saturating_sub(size / 2).min(w);
    let y1 = (cy + size - size / 2).min(h);
    let x1 = (cx + size - size / 2).min(w);
    for plane in image.chunks_exact_mut(shape.plane()) {
        for y in y0..y1 {
            plane[y * w + x0..y * w + x1].fill(E::zero());
        }
    }
}
