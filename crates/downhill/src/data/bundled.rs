//! The data sets that ship inside the library (copied from scikit-learn's bundled UCI files;
//! see `data/PROVENANCE.md`).

use std::io::Read;

use downhill_tensor::{Element, Tensor};

use super::Dataset;
use crate::{Error, Result};

/// The names [`load_bundled`] accepts.
pub const BUNDLED_NAMES: [&str; 4] = ["digits", "breast-cancer", "wine", "iris"];

const DIGITS: &[u8] = include_bytes!("../../../../data/digits.csv.gz");
const BREAST_CANCER: &str = include_str!("../../../../data/breast_cancer.csv");
const WINE: &str = include_str!("../../../../data/wine_data.csv");
const IRIS: &str = include_str!("../../../../data/iris.csv");

/// Loads a bundled data set by name, with raw (unnormalized) features:
///
/// | name | rows × features | classes |
/// |---|---|---|
/// | `digits` | 1797 × 64 (8×8 images, pixels 0..16) | 10 |
/// | `breast-cancer` | 569 × 30 | 2 |
/// | `wine` | 178 × 13 | 3 |
/// | `iris` | 150 × 4 | 3 |
///
/// # Errors
/// [`Error::Config`] for an unknown name (listing the valid ones).
pub fn load_bundled<E: Element>(name: &str) -> Result<Dataset<E>> {
    match name {
        "digits" => digits(),
        "breast-cancer" | "breast_cancer" => sklearn_csv(name, BREAST_CANCER),
        "wine" => sklearn_csv(name, WINE),
        "iris" => sklearn_csv(name, IRIS),
        _ => Err(Error::config(
            "data",
            format!(
                "unknown bundled data set {name:?}; expected one of {}",
                BUNDLED_NAMES.join(", ")
            ),
        )),
    }
}

fn digits<E: Element>() -> Result<Dataset<E>> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(DIGITS)
        .read_to_string(&mut text)
        .map_err(|e| Error::Data(format!("bundled digits: {e}")))?;
    let mut ds: Dataset<E> = rows_to_dataset(
        "digits",
        text.lines().enumerate().map(|(i, l)| (i + 1, l)),
        10,
    )?;
    ds.image_shape = Some([1, 8, 8]);
    Ok(ds)
}

/// scikit-learn's format: a first line `rows,features,class names…`, then rows ending in the label.
fn sklearn_csv<E: Element>(name: &str, text: &str) -> Result<Dataset<E>> {
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    let (_, head) = lines
        .next()
        .ok_or_else(|| Error::Data(format!("bundled {name} is empty")))?;
    let class_names: Vec<String> = head.split(',').skip(2).map(str::to_string).collect();
    let mut ds: Dataset<E> = rows_to_dataset(name, lines, class_names.len())?;
    ds.class_names = class_names;
    Ok(ds)
}

fn rows_to_dataset<'a, E: Element>(
    name: &str,
    lines: impl Iterator<Item = (usize, &'a str)>,
    classes: usize,
) -> Result<Dataset<E>> {
    let mut feats = Vec::new();
    let mut labels = Vec::new();
    let mut width = None;
    for (line, l) in lines.filter(|(_, l)| !l.trim().is_empty()) {
        let fields: Vec<&str> = l.split(',').collect();
        let w = *width.get_or_insert(fields.len());
        let bad = |message: String| Error::Parse {
            path: name.to_string(),
            line: Some(line as u64),
            column: None,
            message,
        };
        if fields.len() != w || w < 2 {
            return Err(bad(format!("{} fields, expected {w}", fields.len())));
        }
        for f in &fields[..w - 1] {
            feats.push(E::of(
                f.trim()
                    .parse::<f64>()
                    .map_err(|_| bad(format!("{f:?} is not a number")))?,
            ));
        }
        labels.push(
            fields[w - 1]
                .trim()
                .parse::<usize>()
                .map_err(|_| bad("bad label".into()))?,
        );
    }
    let n = labels.len();
    let f = width.unwrap_or(1) - 1;
    Dataset::new(Tensor::from_vec(&[n, f], feats)?, labels, classes)
}
