//! The per-epoch training record, and its JSONL and CSV forms.

use std::io::Write;
use std::path::Path;

use crate::{Error, Result};

/// What one epoch measured.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EpochRecord {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean training loss over the epoch's batches (as measured while training).
    pub train_loss: f64,
    /// Training accuracy over the epoch's batches (as measured while training).
    pub train_accuracy: f64,
    /// Validation loss (evaluation mode), if a validation set was given.
    pub val_loss: Option<f64>,
    /// Validation accuracy (evaluation mode), if a validation set was given.
    pub val_accuracy: Option<f64>,
    /// The learning rate of parameter group 0 during the epoch's last step.
    pub lr: f64,
    /// Mean global L2 norm of the gradients before clipping, over the epoch's steps.
    pub grad_norm: f64,
    /// Steps whose update was skipped because of a non-finite loss or gradient.
    pub skipped_steps: usize,
    /// Wall-clock seconds the epoch took (excluded from reproducibility comparisons).
    pub wall_time_s: f64,
}

/// The records of every epoch so far.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct History {
    /// One record per finished epoch.
    pub epochs: Vec<EpochRecord>,
}

impl History {
    /// The best validation accuracy and its epoch.
    pub fn best_val_accuracy(&self) -> Option<(usize, f64)> {
        self.epochs
            .iter()
            .filter_map(|r| r.val_accuracy.map(|a| (r.epoch, a)))
            .fold(None, |best, (e, a)| match best {
                Some((_, b)) if b >= a => best,
                _ => Some((e, a)),
            })
    }

    /// The last record.
    pub fn last(&self) -> Option<&EpochRecord> {
        self.epochs.last()
    }

    /// One JSON object per line.
    pub fn to_jsonl(&self) -> String {
        self.epochs
            .iter()
            .map(|r| serde_json::to_string(r).expect("records serialize") + "\n")
            .collect()
    }

    /// A CSV table with a header row (empty fields for absent validation metrics).
    pub fn to_csv(&self) -> String {
        let mut s = String::from(
            "epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr,grad_norm,skipped_steps,wall_time_s\n",
        );
        let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
        for r in &self.epochs {
            s += &format!(
                "{},{},{},{},{},{},{},{},{}\n",
                r.epoch,
                r.train_loss,
                r.train_accuracy,
                opt(r.val_loss),
                opt(r.val_accuracy),
                r.lr,
                r.grad_norm,
                r.skipped_steps,
                r.wall_time_s
            );
        }
        s
    }

    /// Writes `history.jsonl` and `history.csv` into `dir` (atomically, each).
    ///
    /// # Errors
    /// [`Error::Io`] when a file cannot be written.
    pub fn write(&self, dir: &Path) -> Result<()> {
        write_atomic(&dir.join("history.jsonl"), self.to_jsonl().as_bytes())?;
        write_atomic(&dir.join("history.csv"), self.to_csv().as_bytes())
    }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, flushed and
/// synced, then renamed over the target, so readers see the old or the new file, never a torn one.
///
/// # Errors
/// [`Error::Io`] naming the path.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let res = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    res.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}
