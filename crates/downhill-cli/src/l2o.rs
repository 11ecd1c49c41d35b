//! `downhill l2o`: the learned optimizer (being written; see issue 11).

use clap::Args;

/// `downhill l2o`.
#[derive(Debug, Args)]
pub struct L2oArgs {
    /// What to do: train or eval.
    pub action: String,
}

/// Runs the l2o command.
pub fn run(args: L2oArgs) -> downhill::Result<()> {
    Err(downhill::Error::config("l2o", format!("not available yet in this build ({args:?})")))
}
