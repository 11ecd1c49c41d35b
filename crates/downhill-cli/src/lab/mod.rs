//! `downhill lab`: the lecture's claims reproduced (being written; see issue 8).

use std::path::PathBuf;

use clap::Args;

/// `downhill lab`.
#[derive(Debug, Args)]
pub struct LabArgs {
    /// Output directory for report.html and results.json.
    #[arg(long, default_value = "out/lab")]
    pub out: PathBuf,
    /// Smaller budgets (≤ 90 s).
    #[arg(long)]
    pub quick: bool,
    /// Run only this experiment.
    #[arg(long)]
    pub only: Option<String>,
}

/// Runs the lab.
pub fn run(args: LabArgs) -> downhill::Result<()> {
    Err(downhill::Error::config("lab", format!("not available yet in this build ({args:?})")))
}
