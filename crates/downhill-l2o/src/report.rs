//! Text rendering of an [`EvalReport`]: the table and the verdict.

use crate::eval::EvalReport;

impl EvalReport {
    /// A fixed-width table: one row per group, the final loss `mean ± std` of each optimizer
    /// (with the chosen learning rate) after the step budget.
    pub fn table(&self) -> String {
        let mut s = format!(
            "{:<14} {:<8} {:>5}  {:>22}  {:>30}  {:>30}\n",
            "task", "family", "seeds", "learned", "adam (best lr)", "sgd-momentum (best lr)"
        );
        for g in &self.groups {
            let cell = |i: usize, with_lr: bool| {
                let c = &g.curves[i];
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
                format!("{:.3e} ± {:.1e}{lr}{div}", c.final_mean(), c.final_std())
            };
            let fam = if g.in_family { "held-out" } else { "outside" };
            s += &format!(
                "{:<14} {:<8} {:>5}  {:>22}  {:>30}  {:>30}\n",
                g.task,
                fam,
                g.seeds,
                cell(0, false),
                cell(1, true),
                cell(2, true)
            );
        }
        s
    }

    /// One line per group saying whether the learned optimizer's mean final loss is below tuned
    /// Adam's, by what factor, and a summary line for in-family and out-of-family tasks.
    pub fn verdict(&self) -> String {
        let mut lines = Vec::new();
        let (mut won_in, mut n_in, mut won_out, mut n_out) = (0, 0, 0, 0);
        for g in &self.groups {
            let (l, a) = (g.curves[0].final_mean(), g.curves[1].final_mean());
            let wins = l < a || (l.is_finite() && !a.is_finite());
            if g.in_family {
                n_in += 1;
                won_in += usize::from(wins);
            } else {
                n_out += 1;
                won_out += usize::from(wins);
            }
            let how = if wins { "beats" } else { "loses to" };
            lines.push(format!(
                "{}: learned {how} tuned Adam (final loss {:.3e} vs {:.3e}, ratio {:.2})",
                g.task,
                l,
                a,
                l / a
            ));
        }
        lines.push(format!(
            "verdict: learned beats tuned Adam on {won_in}/{n_in} held-out in-family groups and {won_out}/{n_out} out-of-family groups at {} steps",
            self.config.steps
        ));
        lines.join("\n")
    }
}
