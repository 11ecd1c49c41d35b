//! `downhill lab`: the lecture's claims reproduced, measured and plotted by one command.
//!
//! Each experiment is one module with one `run(&Ctx) -> Result<Outcome>` function and one
//! entry in [`EXPERIMENTS`]; the runner times it, shows progress, and [`report`] turns the
//! outcomes into `report.html` (inline SVG) and `results.json`. Verdicts are computed from the
//! measurements inside each experiment, never written down in advance.
//!
//! Adding an experiment (e.g. the learned optimizer) = one file plus one registry entry.

mod batchnorm;
mod common;
mod digits_optim;
mod init;
mod learned;
mod lr;
mod nonlin;
mod normalization;
mod regularization;
mod report;
mod surfaces;
mod svg;

use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

pub use report::{Figure, Outcome, Support, Table};

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
    /// Override the budget (`tiny` is for tests: seconds, numbers meaningless).
    #[arg(long, value_enum, hide = true)]
    pub budget: Option<Budget>,
}

/// How much compute each experiment may spend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Budget {
    /// A smoke test: every code path, minimal steps (for the integration test).
    Tiny,
    /// `--quick`: about a minute and a half in all.
    Quick,
    /// The default: a few minutes, numbers worth reading.
    Full,
}

impl Budget {
    /// Picks the value for this budget.
    pub fn pick<T>(self, tiny: T, quick: T, full: T) -> T {
        match self {
            Budget::Tiny => tiny,
            Budget::Quick => quick,
            Budget::Full => full,
        }
    }
}

/// What an experiment gets: its budget and a way to report progress.
pub struct Ctx {
    /// The compute budget.
    pub budget: Budget,
    bar: ProgressBar,
}

impl Ctx {
    /// Shows what the experiment is doing now (on a terminal only).
    pub fn status(&self, msg: impl Into<String>) {
        self.bar.set_message(msg.into());
    }
}

/// One registered experiment.
pub struct Experiment {
    /// Short name, as `--only` takes it.
    pub name: &'static str,
    /// Heading in the report.
    pub title: &'static str,
    /// Runs it.
    pub run: fn(&Ctx) -> downhill::Result<Outcome>,
}

/// The experiments, in the lecture's order. A learned optimizer joins as one more entry.
pub const EXPERIMENTS: &[Experiment] = &[
    Experiment {
        name: "nonlinearities",
        title: "1. Nonlinearities and their derivatives",
        run: nonlin::run,
    },
    Experiment {
        name: "surfaces",
        title: "2. Optimizers on test surfaces; momentum vs Nesterov",
        run: surfaces::run,
    },
    Experiment {
        name: "digits-optimizers",
        title: "3. Optimizers on digits",
        run: digits_optim::run,
    },
    Experiment {
        name: "learning-rate",
        title: "4. The learning rate and its decay",
        run: lr::run,
    },
    Experiment {
        name: "normalization",
        title: "5. Data normalization",
        run: normalization::run,
    },
    Experiment {
        name: "initialization",
        title: "6. Weight initialization",
        run: init::run,
    },
    Experiment {
        name: "batchnorm",
        title: "7. Batch normalization",
        run: batchnorm::run,
    },
    Experiment {
        name: "regularization",
        title: "8. Regularization on small data",
        run: regularization::run,
    },
    Experiment {
        name: "learned-optimizer",
        title: "9. A learned optimizer against hand-designed ones",
        run: learned::run,
    },
];

/// Runs the lab: the selected experiments, then the report.
///
/// # Errors
/// An unknown `--only` name, an unwritable output directory, or an experiment's error (the
/// report is still written, with the failure in it).
pub fn run(args: LabArgs) -> downhill::Result<()> {
    let budget = args.budget.unwrap_or(if args.quick {
        Budget::Quick
    } else {
        Budget::Full
    });
    let selected = select(args.only.as_deref())?;
    std::fs::create_dir_all(&args.out).map_err(|e| downhill::Error::io(&args.out, e))?;
    let start = Instant::now();
    let mut done = Vec::new();
    for (k, exp) in selected.iter().enumerate() {
        let ctx = Ctx {
            budget,
            bar: spinner(exp, k, selected.len()),
        };
        let t0 = Instant::now();
        let result = (exp.run)(&ctx);
        let secs = t0.elapsed().as_secs_f64();
        ctx.bar.finish_and_clear();
        let state = match &result {
            Ok(o) => format!("{:?}", o.supported).to_lowercase(),
            Err(e) => format!("FAILED: {e}"),
        };
        eprintln!(
            "[{}/{}] {} ({secs:.1} s): {state}",
            k + 1,
            selected.len(),
            exp.name
        );
        done.push(report::Entry::new(exp, result, secs));
    }
    let total = start.elapsed().as_secs_f64();
    report::write(&args.out, budget, &done, total)?;
    eprintln!(
        "lab: {total:.1} s; wrote {}",
        args.out.join("report.html").display()
    );
    match done.iter().find_map(|e| e.error.clone()) {
        Some(err) => Err(downhill::Error::Data(format!(
            "lab: an experiment failed: {err}"
        ))),
        None => Ok(()),
    }
}

/// The experiments `--only` selects (all without it).
fn select(only: Option<&str>) -> downhill::Result<Vec<&'static Experiment>> {
    match only {
        None => Ok(EXPERIMENTS.iter().collect()),
        Some(name) => EXPERIMENTS
            .iter()
            .find(|e| e.name == name)
            .map(|e| vec![e])
            .ok_or_else(|| {
                let names: Vec<_> = EXPERIMENTS.iter().map(|e| e.name).collect();
                downhill::Error::config(
                    "only",
                    format!("unknown experiment {name:?}; valid: {}", names.join(", ")),
                )
            }),
    }
}

/// A spinner on stderr for one experiment (indicatif draws nothing when stderr is not a
/// terminal, so logs get only the one-line summaries).
fn spinner(exp: &Experiment, k: usize, n: usize) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} [{prefix}] {elapsed} {msg}") {
        bar.set_style(style);
    }
    bar.set_prefix(format!("{}/{} {}", k + 1, n, exp.name));
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}
