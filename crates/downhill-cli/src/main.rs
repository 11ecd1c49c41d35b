//! The `downhill` command line: train, evaluate and predict with downhill networks.

mod args;
mod bench;
mod commands;
mod l2o;
mod lab;

use clap::Parser;

fn main() {
    let cli = args::Cli::parse();
    if let Err(e) = commands::dispatch(cli) {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}
