//! Data: the [`Dataset`] type with seeded shuffling, batching and splits; the bundled data sets;
//! loaders for CSV and IDX (MNIST-format) files; synthetic generators.

mod bundled;
mod csv_loader;
mod dataset;
mod idx;
mod synthetic;

pub use bundled::{BUNDLED_NAMES, load_bundled};
pub use csv_loader::{CsvOptions, LabelColumn, load_csv, parse_csv};
pub use dataset::{Batch, Dataset};
pub use idx::{load_idx, parse_idx_images, parse_idx_labels};
pub use synthetic::{blobs, moons, two_spirals, xor};
