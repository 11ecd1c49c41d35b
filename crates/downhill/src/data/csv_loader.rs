//! Loading a user's CSV file: numeric features plus one label column.

use std::collections::BTreeMap;
use std::path::Path;

use downhill_tensor::{Element, Tensor};

use super::Dataset;
use crate::{Error, Result};

/// Which column holds the class label.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum LabelColumn {
    /// The last column (the default).
    #[default]
    Last,
    /// The first column.
    First,
    /// The column at this 0-based index.
    Index(usize),
    /// The column with this header name (needs a header row).
    Name(String),
}

/// How to read a CSV file.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct CsvOptions {
    /// Where the label is.
    pub label: LabelColumn,
    /// Whether the first row is a header; `None` detects it (a first row with a non-numeric
    /// feature field is a header).
    pub has_header: Option<bool>,
    /// The field delimiter (default `,`).
    pub delimiter: Option<u8>,
}

/// Reads a CSV file of numeric features and a label column into a [`Dataset`].
///
/// Labels may be integers (used as class indices, which must then be `0..K`) or any strings
/// (mapped to classes in sorted order, whose names are kept in `class_names`).
///
/// # Errors
/// [`Error::Io`] when the file cannot be read; [`Error::Parse`] naming the file, line and column
/// of the first malformed field (non-numeric, NaN or infinite feature, ragged row) or an empty
/// file.
pub fn load_csv<E: Element>(path: impl AsRef<Path>, options: &CsvOptions) -> Result<Dataset<E>> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse_csv(&bytes, &path.display().to_string(), options)
}

/// Parses CSV bytes (see [`load_csv`]); `name` is used in error messages.
///
/// # Errors
/// As [`load_csv`].
pub fn parse_csv<E: Element>(bytes: &[u8], name: &str, options: &CsvOptions) -> Result<Dataset<E>> {
    let perr = |line: Option<u64>, column: Option<usize>, message: String| Error::Parse {
        path: name.to_string(),
        line,
        column,
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(options.delimiter.unwrap_or(b','))
        .from_reader(bytes);
    let mut rows: Vec<(u64, csv::StringRecord)> = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| perr(e.position().map(|p| p.line()), None, e.to_string()))?;
        let line = rec.position().map_or(0, |p| p.line());
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        rows.push((line, rec));
    }
    let Some((_, first)) = rows.first() else {
        return Err(perr(None, None, "the file holds no rows".into()));
    };
    let width = first.len();
    if width < 2 {
        return Err(perr(
            Some(rows[0].0),
            None,
            format!("need at least 2 columns (features and a label), found {width}"),
        ));
    }
    let header = options.has_header.unwrap_or_else(|| {
        first.iter().any(|f| f.trim().parse::<f64>().is_err())
            && rows.len() > 1
            && looks_like_header(first, &rows[1].1)
    });
    let names: Option<Vec<String>> =
        header.then(|| first.iter().map(|s| s.trim().to_string()).collect());
    let label_col = match &options.label {
        LabelColumn::Last => width - 1,
        LabelColumn::First => 0,
        LabelColumn::Index(i) if *i < width => *i,
        LabelColumn::Index(i) => {
            return Err(Error::config(
                "label column",
                format!("index {i} but rows have {width} columns"),
            ));
        }
        LabelColumn::Name(n) => names
            .as_ref()
            .and_then(|h| h.iter().position(|c| c == n))
            .ok_or_else(|| {
                Error::config("label column", format!("no header column named {n:?}"))
            })?,
    };
    let body = if header { &rows[1..] } else { &rows[..] };
    let mut feats = Vec::with_capacity(body.len() * (width - 1));
    let mut raw_labels = Vec::with_capacity(body.len());
    for (line, rec) in body {
        if rec.len() != width {
            return Err(perr(
                Some(*line),
                None,
                format!("{} fields, expected {width} like the first row", rec.len()),
            ));
        }
        for (c, field) in rec.iter().enumerate() {
            if c == label_col {
                raw_labels.push(field.trim().to_string());
                continue;
            }
            let v: f64 = field.trim().parse().map_err(|_| {
                perr(
                    Some(*line),
                    Some(c + 1),
                    format!("{field:?} is not a number"),
                )
            })?;
            if !v.is_finite() {
                return Err(perr(
                    Some(*line),
                    Some(c + 1),
                    format!("{field:?} is not finite"),
                ));
            }
            feats.push(E::of(v));
        }
    }
    if body.is_empty() {
        return Err(perr(
            None,
            None,
            "the file holds a header but no data rows".into(),
        ));
    }
    let (labels, class_names) = encode_labels(&raw_labels);
    let features = Tensor::from_vec(&[body.len(), width - 1], feats)?;
    let mut ds = Dataset::new(features, labels, class_names.len())?;
    ds.class_names = class_names;
    Ok(ds)
}

fn looks_like_header(first: &csv::StringRecord, second: &csv::StringRecord) -> bool {
    // A header is a first row with a text field where the second row has a number.
    first
        .iter()
        .zip(second.iter())
        .any(|(a, b)| a.trim().parse::<f64>().is_err() && b.trim().parse::<f64>().is_ok())
}

/// Integer labels `0..K` stay as they are; anything else is mapped in sorted order.
fn encode_labels(raw: &[String]) -> (Vec<usize>, Vec<String>) {
    let ints: Option<Vec<usize>> = raw.iter().map(|s| s.parse::<usize>().ok()).collect();
    if let Some(ints) = ints {
        let k = ints.iter().copied().max().map_or(0, |m| m + 1);
        return (ints, (0..k).map(|c| c.to_string()).collect());
    }
    let mut classes: BTreeMap<&str, usize> = raw.iter().map(|s| (s.as_str(), 0)).collect();
    classes.values_mut().enumerate().for_each(|(i, v)| *v = i);
    let labels = raw.iter().map(|s| classes[s.as_str()]).collect();
    (labels, classes.keys().map(|s| s.to_string()).collect())
}
