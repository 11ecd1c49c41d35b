//! Data augmentation for image batches: random shifts, flips, rotations, noise and cutout,
//! composed into a seeded [`Pipeline`], plus [`render_grid`] to look at the result.
//!
//! Augmentation is the lecture's "add random noise during training": each epoch sees a
//! slightly different version of each image, and at test time the images are used as they are.
//! Batches are `[N, C, H, W]`, or `[N, C·H·W]` with a declared [`ImageShape`].
//!
//! The deterministic transforms ([`translate`], [`flip_horizontal`], [`rotate`], [`cutout`])
//! are public so their invariants can be checked and reused.

mod config;
mod geometry;
mod image;
mod pipeline;
mod render;

pub use config::Augmentation;
pub use geometry::{Fill, cutout, flip_horizontal, rotate, translate};
pub use image::ImageShape;
pub use pipeline::Pipeline;
pub use render::{GrayImage, render_grid};
