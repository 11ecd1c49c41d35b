//! `downhill bench`: the PyTorch anchor's workloads (being written; see issue 9).

use clap::Args;

/// `downhill bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Print one JSON object (the anchor's keys).
    #[arg(long)]
    pub json: bool,
}

/// Runs the benchmarks.
pub fn run(args: BenchArgs) -> downhill::Result<()> {
    Err(downhill::Error::config("bench", format!("not available yet in this build ({args:?})")))
}
