//! Text rendering of an [`EvalReport`]: the table and the verdict.

use crate::eval::{Curve, EvalReport};

/// `mean ± std / median`, with the learning rate for a baseline and a divergence count.
fn cell(c: &Curve, with_lr: bool) -> String {
    let lr = if with_lr {
        format!(" (lr {:.0e})", c.lr)
    } else {
        String::new()
    };
    let div = if c.diverged > 0 {
        format!(" [{} div]", c.diverged)
    } else {
        String::new()
    };
    format!(
        "{:.2e} ± {:.1e} / {:.2e}{lr}{div}",
        c.final_mean(),
        c.final_std(),
        c.final_median()
    )
}

impl EvalReport {
    /// A fixed-width table: one row per group, the final loss of each optimizer after the step
    /// budget as `mean ± std / median` over instances (with the chosen learning rate for the
    /// baselines), and on how many instances the learned optimizer ends below tuned Adam and
    /// below tuned SGD-momentum on the same instance.
    pub fn table(&self) -> String {
        let mut s = format!(
            "{:<12} {:<8} {:>5}  {:>30}  {:>38}  {:>38}  {:>9}  {:>8}\n",
            "task",
            "family",
            "seeds",
            "learned: mean ± std / median",
            "adam (best lr)",
            "sgd-momentum (best lr)",
            "wins/adam",
            "wins/sgd"
        );
        for g in &self.groups {
            let fam = if g.in_family { "held-out" } else { "outside" };
            s += &format!(
                "{:<12} {:<8} {:>5}  {:>30}  {:>38}  {:>38}  {:>9}  {:>8}\n",
                g.task,
                fam,
                g.seeds,
                cell(&g.curves[0], false),
                cell(&g.curves[1], true),
                cell(&g.curves[2], true),
                format!("{}/{}", g.wins_vs_adam, g.seeds),
                format!("{}/{}", g.wins_vs_sgd, g.seeds),
            );
        }
        s
    }

    /// One line per group saying whether the learned optimizer's mean final loss is below tuned
    /// Adam's (and by what factor), the same for the median, and on how many instances it ends
    /// lower; then a summary line for in-family and out-of-family tasks. A group counts as won
    /// only if both the mean and the median are below tuned Adam's.
    pub fn verdict(&self) -> String {
        let mut lines = Vec::new();
        let (mut won_in, mut n_in, mut won_out, mut n_out) = (0, 0, 0, 0);
        for g in &self.groups {
            let (l, a) = (&g.curves[0], &g.curves[1]);
            let below = |x: f64, y: f64| x < y || (x.is_finite() && !y.is_finite());
            let mean_wins = below(l.final_mean(), a.final_mean());
            let median_wins = below(l.final_median(), a.final_median());
            let wins = mean_wins && median_wins;
            if g.in_family {
                n_in += 1;
                won_in += usize::from(wins);
            } else {
                n_out += 1;
                won_out += usize::from(wins);
            }
            let how = if wins { "beats" } else { "does not beat" };
            lines.push(format!(
                "{}: learned {how} tuned Adam (mean {:.3e} vs {:.3e}, ratio {:.2}; median {:.3e} vs {:.3e}, ratio {:.2}; lower on {}/{} instances)",
                g.task,
                l.final_mean(),
                a.final_mean(),
                l.final_mean() / a.final_mean(),
                l.final_median(),
                a.final_median(),
                l.final_median() / a.final_median(),
                g.wins_vs_adam,
                g.seeds
            ));
        }
        lines.push(format!(
            "verdict: learned beats tuned Adam (mean and median) on {won_in}/{n_in} held-out in-family groups and {won_out}/{n_out} out-of-family groups at {} steps",
            self.config.steps
        ));
        lines.join("\n")
    }
}
