//! The IDX format of MNIST and Fashion-MNIST (raw or gzip-compressed).
//!
//! ```text
//! magic: 0x00 0x00 <type> <ndim>    type 0x08 = unsigned byte
//! ndim × u32 big-endian lengths, then the data in row-major order
//! ```

use std::io::Read;
use std::path::Path;

use downhill_tensor::{Element, Tensor};

use super::Dataset;
use crate::{Error, Result};

/// Decompressed files larger than this are refused (MNIST's training images are 47 MB).
const MAX_DECOMPRESSED: u64 = 1 << 31;

/// Loads an IDX image file and its IDX label file (e.g. `train-images-idx3-ubyte.gz` and
/// `train-labels-idx1-ubyte.gz`) into a [`Dataset`] with pixels scaled to `[0, 1]` and
/// `image_shape = [1, rows, cols]`.
///
/// # Errors
/// [`Error::Io`] for unreadable files; [`Error::Parse`] naming the file for a bad magic number,
/// a header that claims more data than the file holds, trailing bytes, or image and label counts
/// that differ.
pub fn load_idx<E: Element>(
    images: impl AsRef<Path>,
    labels: impl AsRef<Path>,
) -> Result<Dataset<E>> {
    let (ip, lp) = (images.as_ref(), labels.as_ref());
    let ib = read_maybe_gz(ip)?;
    let lb = read_maybe_gz(lp)?;
    let (shape, pixels) = parse_idx_images(&ib, &ip.display().to_string())?;
    let ys = parse_idx_labels(&lb, &lp.display().to_string())?;
    if ys.len() != shape[0] {
        return Err(Error::Data(format!(
            "{} images in {} but {} labels in {}",
            shape[0],
            ip.display(),
            ys.len(),
            lp.display()
        )));
    }
    let classes = ys.iter().copied().max().map_or(0, |m| m as usize + 1);
    let feats: Vec<E> = pixels.iter().map(|&p| E::of(p as f64 / 255.0)).collect();
    let x = Tensor::from_vec(&[shape[0], shape[1] * shape[2]], feats)?;
    let mut ds = Dataset::new(x, ys.iter().map(|&y| y as usize).collect(), classes)?;
    ds.image_shape = Some([1, shape[1], shape[2]]);
    Ok(ds)
}

fn read_maybe_gz(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .take(MAX_DECOMPRESSED)
            .read_to_end(&mut out)
            .map_err(|e| Error::Parse {
                path: path.display().to_string(),
                line: None,
                column: None,
                message: format!("gzip: {e}"),
            })?;
        return Ok(out);
    }
    Ok(raw)
}

/// Parses the header of an IDX file of unsigned bytes, checking that it has `ndim` axes and
/// that the data holds exactly the elements the header declares.
fn parse_header<'a>(bytes: &'a [u8], name: &str, ndim: usize) -> Result<(Vec<usize>, &'a [u8])> {
    let bad = |message: String| Error::Parse {
        path: name.to_string(),
        line: None,
        column: None,
        message,
    };
    if bytes.len() < 4 || bytes[0] != 0 || bytes[1] != 0 {
        return Err(bad("not an IDX file (bad magic number)".into()));
    }
    if bytes[2] != 0x08 {
        return Err(bad(format!(
            "element type 0x{:02x} is not supported (only unsigned bytes, 0x08)",
            bytes[2]
        )));
    }
    if bytes[3] as usize != ndim {
        return Err(bad(format!("{} dimensions, expected {ndim}", bytes[3])));
    }
    let head = 4 + 4 * ndim;
    if bytes.len() < head {
        return Err(bad("truncated header".into()));
    }
    let dims: Vec<usize> = (0..ndim)
        .map(|k| {
            u32::from_be_bytes(bytes[4 + 4 * k..8 + 4 * k].try_into().expect("4 bytes")) as usize
        })
        .collect();
    let count = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    let data = &bytes[head..];
    match count {
        Some(c) if c == data.len() => Ok((dims, data)),
        Some(c) => Err(bad(format!(
            "header declares {dims:?} = {c} bytes of data but the file holds {}",
            data.len()
        ))),
        None => Err(bad(format!("header declares an impossible size {dims:?}"))),
    }
}

/// Parses an IDX image file (`[N, rows, cols]` unsigned bytes): returns the shape and pixels.
///
/// # Errors
/// [`Error::Parse`] as in [`load_idx`].
pub fn parse_idx_images(bytes: &[u8], name: &str) -> Result<([usize; 3], Vec<u8>)> {
    let (dims, data) = parse_header(bytes, name, 3)?;
    Ok(([dims[0], dims[1], dims[2]], data.to_vec()))
}

/// Parses an IDX label file (`[N]` unsigned bytes).
///
/// # Errors
/// [`Error::Parse`] as in [`load_idx`].
pub fn parse_idx_labels(bytes: &[u8], name: &str) -> Result<Vec<u8>> {
    let (_, data) = parse_header(bytes, name, 1)?;
    Ok(data.to_vec())
}
