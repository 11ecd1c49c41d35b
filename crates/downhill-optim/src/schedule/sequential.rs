//! [`SequentialLr`]: one schedule after another (e.g. warm-up, then decay).

use downhill_tensor::Element;

use crate::{OptimError, Optimizer, ScheduleConfig, Scheduler};

/// `torch.optim.lr_scheduler.SequentialLR`: schedule `k` runs from `milestones[k−1]` on; at a
/// milestone the next schedule restarts from epoch 0 with its closed form.
///
/// ```
/// use downhill_optim::{Optimizer, ScheduleConfig, Scheduler, SequentialLr, Sgd};
/// let mut opt = Sgd { lr: 1.0, ..Sgd::default() }.build::<f64>().unwrap();
/// let warmup = ScheduleConfig::LinearLr { start_factor: 0.25, end_factor: 1.0, total_iters: 3 };
/// let decay = ScheduleConfig::ExponentialLr { gamma: 0.5 };
/// let mut s = SequentialLr::new(&mut opt, vec![warmup, decay], vec![3]).unwrap();
/// let mut lrs = vec![opt.lr(0)];
/// for _ in 0..5 { s.step(&mut opt, None).unwrap(); lrs.push(opt.lr(0)); }
/// assert_eq!(lrs, [0.25, 0.5, 0.75, 1.0, 0.5, 0.25]);
/// ```
pub struct SequentialLr<E: Element> {
    children: Vec<Box<dyn Scheduler<E>>>,
    milestones: Vec<u64>,
    last_epoch: i64,
}

impl<E: Element> SequentialLr<E> {
    /// Builds each schedule from the optimizer's current rates, then restores them and lets the
    /// first schedule take its initial step (as PyTorch's constructor does).
    ///
    /// # Errors
    /// `milestones.len() + 1 != configs.len()`, unsorted milestones, a plateau schedule, or
    /// an invalid child.
    pub fn new(
        opt: &mut dyn Optimizer<E>,
        configs: Vec<ScheduleConfig>,
        milestones: Vec<u64>,
    ) -> Result<Self, OptimError> {
        let bad = |reason: String| OptimError::Schedule {
            schedule: "sequentiallr",
            reason,
        };
        if configs.len() != milestones.len() + 1 || configs.is_empty() {
            return Err(bad(format!(
                "{} schedules need {} milestones, got {}",
                configs.len(),
                configs.len().saturating_sub(1),
                milestones.len()
            )));
        }
        if milestones.windows(2).any(|w| w[0] > w[1]) {
            return Err(bad(format!("milestones {milestones:?} are not sorted")));
        }
        if configs
            .iter()
            .any(|c| matches!(c, ScheduleConfig::ReduceLrOnPlateau { .. }))
        {
            return Err(bad("ReduceLROnPlateau cannot be sequenced".into()));
        }
        let initial: Vec<f64> = (0..opt.num_groups()).map(|g| opt.lr(g)).collect();
        let restore = |opt: &mut dyn Optimizer<E>| -> Result<(), OptimError> {
            initial
                .iter()
                .enumerate()
                .try_for_each(|(g, &lr)| opt.set_lr(g, lr))
        };
        let first = milestones.partition_point(|&m| m == 0);
        let mut children = Vec::with_capacity(configs.len());
        for c in &configs {
            restore(opt)?;
            children.push(c.build(opt)?);
        }
        restore(opt)?;
        children[first] = configs[first].build(opt)?;
        Ok(Self {
            children,
            milestones,
            last_epoch: 0,
        })
    }
}

impl<E: Element> Scheduler<E> for SequentialLr<E> {
    fn step(&mut self, opt: &mut dyn Optimizer<E>, metric: Option<f64>) -> Result<(), OptimError> {
        let epoch = self.last_epoch + 1;
        let idx = self.milestones.partition_point(|&m| m as i64 <= epoch);
        if idx > 0 && self.milestones[idx - 1] as i64 == epoch {
            self.children[idx].restart(opt)?;
        } else {
            self.children[idx].step(opt, metric)?;
        }
        self.last_epoch = epoch;
        Ok(())
    }
    fn last_lr(&self) -> Vec<f64> {
        let idx = self
            .milestones
            .partition_point(|&m| m as i64 <= self.last_epoch);
        self.children[idx].last_lr()
    }
    fn name(&self) -> &'static str {
        "sequentiallr"
    }
    fn state_json(&self) -> serde_json::Value {
        let children: Vec<serde_json::Value> =
            self.children.iter().map(|c| c.state_json()).collect();
        serde_json::json!({ "last_epoch": self.last_epoch, "milestones": self.milestones, "children": children })
    }
    fn load_state_json(&mut self, v: &serde_json::Value) -> Result<(), OptimError> {
        let bad = |m: &str| OptimError::BadState(format!("sequentiallr: {m}"));
        let last_epoch = v["last_epoch"]
            .as_i64()
            .ok_or_else(|| bad("missing last_epoch"))?;
        let children = v["children"]
            .as_array()
            .ok_or_else(|| bad("missing children"))?;
        if children.len() != self.children.len() {
            return Err(bad("wrong number of children"));
        }
        let old: Vec<serde_json::Value> = self.children.iter().map(|c| c.state_json()).collect();
        for (k, s) in children.iter().enumerate() {
            if let Err(e) = self.children[k].load_state_json(s) {
                // Roll back the children already loaded, so a failed load changes nothing.
                for (c, o) in self.children.iter_mut().zip(&old).take(k) {
                    c.load_state_json(o)?;
                }
                return Err(e);
            }
        }
        self.last_epoch = last_epoch;
        Ok(())
    }
    fn restart(&mut self, opt: &mut dyn Optimizer<E>) -> Result<(), OptimError> {
        self.last_epoch = 0;
        self.children[0].restart(opt)
    }
}
