//! The training loop: batches, loss, backward, clipping, the optimizer step, schedules,
//! validation and the per-epoch history.

use std::io::IsTerminal;
use std::time::Instant;

use downhill_optim::{Optimizer, ParamMut, Scheduler, by_name};
use downhill_tensor::Element;
use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;

use downhill_reg::{
    BestSnapshot, Constraint, Decision, EarlyStopping, Goal, ImageShape, MaxNorm, ParamFilter,
    Pipeline, UnitAxis,
};

use crate::config::{Monitor, NanPolicy, SchedulePer, TrainConfig};
use crate::data::{Batch, Dataset};
use crate::history::{EpochRecord, History};
use crate::{DefaultRng, Error, Loss, Mode, Network, Result, metrics};

/// Whether training goes on after a callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Keep training.
    Continue,
    /// Stop after this epoch.
    Stop,
}

/// Called after every epoch with its record; may stop training (early stopping, logging, …).
pub trait Callback<E: Element> {
    /// Inspects the finished epoch.
    ///
    /// # Errors
    /// Whatever the callback finds wrong; training stops with that error.
    fn on_epoch_end(&mut self, record: &EpochRecord, net: &mut Network<E>) -> Result<Control>;
}

/// Loss and accuracy of a network on a data set, in evaluation mode.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Evaluation {
    /// Mean loss.
    pub loss: f64,
    /// Fraction classified correctly.
    pub accuracy: f64,
}

#[derive(Default)]
struct EpochTotals {
    loss: f64,
    correct: usize,
    seen: usize,
    grad_norm: f64,
    steps: usize,
    skipped: usize,
    /// The learning rate of the epoch's last step (read before a schedule advances it).
    lr: f64,
}

/// Everything a trainer needs to continue exactly where it stopped (see
/// [`crate::checkpoint`]).
#[derive(Debug, Clone)]
pub struct TrainerState<E: Element> {
    pub(crate) config: TrainConfig,
    pub(crate) history: History,
    pub(crate) step: u64,
    pub(crate) rng: DefaultRng,
    pub(crate) optimizer: downhill_optim::StateDict<E>,
    pub(crate) scheduler: Option<serde_json::Value>,
    pub(crate) early_stopping: Option<EarlyStopping>,
}

/// Trains a [`Network`] by mini-batch gradient descent, as a PyTorch training loop would.
///
/// The trainer owns everything a run needs to resume exactly: the optimizer and schedule with
/// their state, the random generator (shuffling, dropout), the step counter and the history.
pub struct Trainer<E: Element = f32> {
    config: TrainConfig,
    optimizer: Box<dyn Optimizer<E>>,
    scheduler: Option<Box<dyn Scheduler<E>>>,
    rng: DefaultRng,
    history: History,
    step: u64,
    early_stopping: Option<EarlyStopping>,
    best: BestSnapshot<E>,
}

impl<E: Element> std::fmt::Debug for Trainer<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trainer")
            .field("optimizer", &self.optimizer.name())
            .field("step", &self.step)
            .finish()
    }
}

impl<E: Element> Trainer<E> {
    /// A trainer for `config`, validated, with its optimizer and schedule built.
    ///
    /// # Errors
    /// [`Error::Config`] or [`Error::Optim`] naming the invalid value.
    pub fn new(config: TrainConfig) -> Result<Self> {
        config.validate()?;
        let mut optimizer = build_optimizer::<E>(&config)?;
        let scheduler = config
            .schedule
            .as_ref()
            .map(|s| s.build(optimizer.as_mut()))
            .transpose()?;
        // The trainer's stream is distinct from the one that initialized the weights.
        let rng = DefaultRng::seed_from_u64(config.seed ^ 0x5EED_0FD0_0B11_u64);
        let early_stopping = config
            .early_stopping
            .map(|es| {
                let goal = match es.monitor {
                    Monitor::ValLoss => Goal::Min,
                    Monitor::ValAccuracy => Goal::Max,
                };
                EarlyStopping::new(goal, es.patience, es.min_delta)
            })
            .transpose()?;
        Ok(Self {
            config,
            optimizer,
            scheduler,
            rng,
            history: History::default(),
            step: 0,
            early_stopping,
            best: BestSnapshot::new(),
        })
    }

    /// A snapshot of the whole training state.
    pub fn export_state(&self) -> TrainerState<E> {
        TrainerState {
            config: self.config.clone(),
            history: self.history.clone(),
            step: self.step,
            rng: self.rng.clone(),
            optimizer: self.optimizer.state_dict(),
            scheduler: self.scheduler.as_ref().map(|s| s.state_json()),
            early_stopping: self.early_stopping.clone(),
        }
    }

    /// Rebuilds a trainer from a snapshot, so training continues bit for bit.
    ///
    /// # Errors
    /// A configuration or optimizer/schedule state that does not fit.
    pub fn import_state(state: TrainerState<E>) -> Result<Self> {
        let mut t = Self::new(state.config)?;
        t.optimizer.load_state_dict(&state.optimizer)?;
        if let (Some(s), Some(js)) = (t.scheduler.as_mut(), state.scheduler.as_ref()) {
            s.load_state_json(js)?;
        }
        if state.early_stopping.is_some() {
            t.early_stopping = state.early_stopping;
        }
        t.history = state.history;
        t.step = state.step;
        t.rng = state.rng;
        Ok(t)
    }

    /// Sets the number of epochs to train to (e.g. to extend a resumed run).
    ///
    /// # Errors
    /// [`Error::Config`] for 0.
    pub fn set_epochs(&mut self, epochs: usize) -> Result<()> {
        if epochs == 0 {
            return Err(Error::config("epochs", "must be at least 1"));
        }
        self.config.epochs = epochs;
        Ok(())
    }

    /// The configuration.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// The history so far.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// The number of finished epochs.
    pub fn epoch(&self) -> usize {
        self.history.epochs.len()
    }

    /// The number of optimizer steps taken.
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// The optimizer.
    pub fn optimizer(&self) -> &dyn Optimizer<E> {
        self.optimizer.as_ref()
    }

    /// The schedule, if any.
    pub fn scheduler(&self) -> Option<&dyn Scheduler<E>> {
        self.scheduler.as_deref()
    }

    /// Trains until `config.epochs` epochs are done (counting epochs already in the history, so
    /// a resumed trainer continues where it stopped) or a callback stops it.
    ///
    /// # Errors
    /// Data that does not fit the network, a non-finite loss or gradient (under
    /// [`NanPolicy::Error`]), or an optimizer, schedule or callback error.
    pub fn fit(
        &mut self,
        net: &mut Network<E>,
        train: &Dataset<E>,
        val: Option<&Dataset<E>>,
        callbacks: &mut [&mut dyn Callback<E>],
    ) -> Result<&History> {
        self.fit_with(net, train, val, callbacks, &mut |_, _| Ok(()))
    }

    /// [`Trainer::fit`], calling `after_epoch` with the trainer and the network after every
    /// epoch (after callbacks) — e.g. to write a checkpoint of the full training state.
    ///
    /// # Errors
    /// As [`Trainer::fit`], and whatever `after_epoch` returns.
    pub fn fit_with(
        &mut self,
        net: &mut Network<E>,
        train: &Dataset<E>,
        val: Option<&Dataset<E>>,
        callbacks: &mut [&mut dyn Callback<E>],
        after_epoch: &mut dyn FnMut(&Self, &Network<E>) -> Result<()>,
    ) -> Result<&History> {
        check_data(net, train)?;
        if let Some(v) = val {
            check_data(net, v)?;
        }
        if !self.config.augmentation.is_empty() && train.image_shape.is_none() {
            return Err(Error::config(
                "augmentation",
                "needs image-shaped data (e.g. digits or IDX files)",
            ));
        }
        if self.early_stopping.is_some() && val.is_none() {
            return Err(Error::config("early_stopping", "needs a validation set"));
        }
        let bar = self.progress_bar(train);
        while self.epoch() < self.config.epochs {
            let record = self.train_epoch(net, train, val, &bar)?;
            bar.set_message(format!(
                "epoch {} loss {:.4} acc {:.3}{}",
                record.epoch,
                record.train_loss,
                record.train_accuracy,
                record
                    .val_accuracy
                    .map(|a| format!(" val {a:.3}"))
                    .unwrap_or_default()
            ));
            self.history.epochs.push(record);
            let record = self.history.last().expect("just pushed").clone();
            let mut stop = self.early_stop(&record, net);
            for cb in callbacks.iter_mut() {
                stop |= cb.on_epoch_end(&record, net)? == Control::Stop;
            }
            after_epoch(self, net)?;
            if stop {
                break;
            }
        }
        bar.finish_and_clear();
        if self.config.early_stopping.is_some_and(|es| es.restore_best)
            && self.best.epoch().is_some()
        {
            self.best.restore(net.params_mut())?;
        }
        Ok(&self.history)
    }

    /// Feeds early stopping; snapshots the weights on improvement; true when it says stop.
    fn early_stop(&mut self, record: &EpochRecord, net: &Network<E>) -> bool {
        let (Some(es), Some(cfg)) = (self.early_stopping.as_mut(), self.config.early_stopping)
        else {
            return false;
        };
        let metric = match cfg.monitor {
            Monitor::ValLoss => record.val_loss,
            Monitor::ValAccuracy => record.val_accuracy,
        };
        match metric.map(|m| es.update(record.epoch, m)) {
            Some(Decision::Improved) => {
                self.best
                    .save_params(record.epoch, metric.unwrap_or(f64::NAN), net.params());
                false
            }
            Some(Decision::Stop) => true,
            _ => false,
        }
    }

    fn progress_bar(&self, train: &Dataset<E>) -> ProgressBar {
        if !self.config.progress || !std::io::stderr().is_terminal() {
            return ProgressBar::hidden();
        }
        let per_epoch = train.len().div_ceil(self.config.batch_size) as u64;
        let bar = ProgressBar::new(per_epoch * self.config.epochs as u64);
        bar.set_position(per_epoch * self.epoch() as u64);
        if let Ok(style) =
            ProgressStyle::with_template("{bar:30} {pos}/{len} steps {elapsed} {msg}")
        {
            bar.set_style(style);
        }
        bar
    }

    /// Runs one epoch over `train` (shuffled) and evaluates on `val`.
    fn train_epoch(
        &mut self,
        net: &mut Network<E>,
        train: &Dataset<E>,
        val: Option<&Dataset<E>>,
        bar: &ProgressBar,
    ) -> Result<EpochRecord> {
        let start = Instant::now();
        let epoch = self.epoch() + 1;
        let batches = train.batch_indices(self.config.batch_size, Some(&mut self.rng))?;
        let mut totals = EpochTotals {
            lr: self.optimizer.lr(0),
            ..EpochTotals::default()
        };
        let pipeline = match (self.config.augmentation.is_empty(), train.image_shape) {
            (false, Some([c, h, w])) => Some((
                Pipeline::new(self.config.augmentation.clone())?,
                ImageShape::new(c, h, w),
            )),
            _ => None,
        };
        for idx in batches {
            let mut batch = train.batch(&idx)?;
            if let Some((p, shape)) = &pipeline {
                p.apply(&mut batch.x, *shape, &mut self.rng)?;
            }
            self.train_step(net, &batch, epoch, &mut totals)?;
            bar.inc(1);
        }
        let eval = val
            .map(|v| evaluate(net, v, &self.config.loss))
            .transpose()?;
        if let (Some(s), SchedulePer::Epoch) = (self.scheduler.as_mut(), self.config.schedule_per) {
            s.step(self.optimizer.as_mut(), eval.map(|e| e.loss))?;
        }
        let seen = totals.seen.max(1) as f64;
        Ok(EpochRecord {
            epoch,
            train_loss: totals.loss / seen,
            train_accuracy: totals.correct as f64 / seen,
            val_loss: eval.map(|e| e.loss),
            val_accuracy: eval.map(|e| e.accuracy),
            lr: totals.lr,
            grad_norm: totals.grad_norm / totals.steps.max(1) as f64,
            skipped_steps: totals.skipped,
            wall_time_s: start.elapsed().as_secs_f64(),
        })
    }

    fn train_step(
        &mut self,
        net: &mut Network<E>,
        batch: &Batch<E>,
        epoch: usize,
        totals: &mut EpochTotals,
    ) -> Result<()> {
        self.step += 1;
        let out = net.forward(&batch.x, Mode::Train, &mut self.rng)?;
        let preds = metrics::predictions(net.tape().value(out)?)?;
        totals.correct += preds.iter().zip(&batch.y).filter(|(p, y)| p == y).count();
        let loss = self.config.loss.compute(net.tape_mut(), out, &batch.y)?;
        let lv = net.tape().value(loss)?.item()?.as_f64();
        totals.seen += batch.y.len();
        if !lv.is_finite() {
            return self.non_finite("loss", epoch, None, totals);
        }
        net.params_mut().zero_grad();
        net.tape_mut().backward(loss)?;
        let lv = lv + self.add_penalty(net)?;
        totals.loss += lv * batch.y.len() as f64;
        if let Some(bad) = net
            .params()
            .iter()
            .find(|p| p.grad().is_some_and(|g| !g.all_finite()))
        {
            let name = bad.name.clone();
            return self.non_finite("gradient", epoch, Some(name), totals);
        }
        totals.grad_norm += self.clip(net)?;
        totals.steps += 1;
        let mut handles: Vec<ParamMut<'_, E>> = net
            .params_mut()
            .iter_mut()
            .map(|p| ParamMut {
                value: &mut p.value,
                grad: p.has_grad.then_some(&p.grad),
                group: 0,
            })
            .collect();
        totals.lr = self.optimizer.lr(0);
        self.optimizer.observe_loss(lv)?;
        self.optimizer.step(&mut handles)?;
        if let Some(m) = self.config.max_norm {
            Constraint::MaxNorm(MaxNorm::new(m, UnitAxis::Rows)?)
                .apply_to_params(net.params_mut(), &ParamFilter::WeightsOnly)?;
        }
        if let (Some(s), SchedulePer::Step) = (self.scheduler.as_mut(), self.config.schedule_per) {
            s.step(self.optimizer.as_mut(), None)?;
        }
        Ok(())
    }

    /// Adds the penalty's gradient to the selected weights' gradients (exactly what recording
    /// `loss + R(W)` on the tape would give) and returns the penalty's value.
    fn add_penalty(&self, net: &mut Network<E>) -> Result<f64> {
        let Some(pen) = self.config.penalty else {
            return Ok(0.0);
        };
        let filter = ParamFilter::WeightsOnly;
        let mut total = 0.0;
        for p in net
            .params_mut()
            .iter_mut()
            .filter(|p| p.has_grad && filter.selects(&p.name, p.value.shape()))
        {
            total += pen.value(&p.value)?.as_f64();
            pen.add_gradient(&p.value, &mut p.grad)?;
        }
        Ok(total)
    }

    /// Computes the global gradient norm and clips to it when configured; returns the pre-clip norm.
    fn clip(&self, net: &mut Network<E>) -> Result<f64> {
        let mut grads: Vec<&mut downhill_tensor::Tensor<E>> = net
            .params_mut()
            .iter_mut()
            .filter(|p| p.has_grad)
            .map(|p| &mut p.grad)
            .collect();
        match self.config.clip_grad_norm {
            Some(max) => Ok(downhill_optim::clip_grad_norm(&mut grads, max, 2.0, false)?),
            None => Ok(grads
                .iter()
                .map(|g| {
                    g.as_slice()
                        .iter()
                        .map(|v| v.as_f64() * v.as_f64())
                        .sum::<f64>()
                })
                .sum::<f64>()
                .sqrt()),
        }
    }

    fn non_finite(
        &mut self,
        what: &'static str,
        epoch: usize,
        param: Option<String>,
        totals: &mut EpochTotals,
    ) -> Result<()> {
        match self.config.nan_policy {
            NanPolicy::Error => Err(Error::NonFinite {
                what,
                epoch,
                step: self.step,
                param,
            }),
            NanPolicy::SkipStep => {
                totals.skipped += 1;
                Ok(())
            }
        }
    }
}

/// The optimizer a config names: one of `downhill_optim`'s by name, or `"learned"`, the
/// shipped meta-trained optimizer of `downhill-l2o` (its `lr` is a multiplier on the learned
/// step, default 1).
fn build_optimizer<E: Element>(config: &TrainConfig) -> Result<Box<dyn Optimizer<E>>> {
    if config.optimizer != "learned" {
        return Ok(by_name::<E>(&config.optimizer, &config.hyper)?);
    }
    let mut opt = downhill_l2o::LearnedOptimizer::<E>::shipped()?;
    if let Some(lr) = config.hyper.lr {
        opt.set_lr(0, lr)?;
    }
    Ok(Box::new(opt))
}

fn check_data<E: Element>(net: &Network<E>, ds: &Dataset<E>) -> Result<()> {
    if ds.num_features() != net.input_features() {
        return Err(Error::Data(format!(
            "the data has {} features but the network takes {}",
            ds.num_features(),
            net.input_features()
        )));
    }
    if ds.num_classes() > net.output_features() {
        return Err(Error::Data(format!(
            "the data has {} classes but the network has {} outputs",
            ds.num_classes(),
            net.output_features()
        )));
    }
    if ds.is_empty() {
        return Err(Error::Data("the data set is empty".into()));
    }
    Ok(())
}

/// Loss and accuracy of `net` on `ds` in evaluation mode (no gradients recorded), in batches.
///
/// # Errors
/// Data that does not fit the network.
pub fn evaluate<E: Element>(
    net: &mut Network<E>,
    ds: &Dataset<E>,
    loss: &Loss,
) -> Result<Evaluation> {
    check_data(net, ds)?;
    let mut rng = DefaultRng::seed_from_u64(0);
    let prev = net.tape_mut().set_grad_enabled(false);
    let result = (|| {
        let (mut total, mut correct) = (0.0, 0);
        for idx in ds.batch_indices(1024, None)? {
            let b = ds.batch(&idx)?;
            let out = net.forward(&b.x, Mode::Eval, &mut rng)?;
            let preds = metrics::predictions(net.tape().value(out)?)?;
            correct += preds.iter().zip(&b.y).filter(|(p, y)| p == y).count();
            let l = loss.compute(net.tape_mut(), out, &b.y)?;
            total += net.tape().value(l)?.item()?.as_f64() * b.y.len() as f64;
        }
        Ok(Evaluation {
            loss: total / ds.len() as f64,
            accuracy: correct as f64 / ds.len() as f64,
        })
    })();
    net.tape_mut().set_grad_enabled(prev);
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::blobs;
    use crate::{Activation, NetSpec};

    #[test]
    fn the_optimizer_is_told_the_loss_before_every_step() {
        let mut rng = DefaultRng::seed_from_u64(1);
        let data = blobs::<f32>(24, &[[0.0, 0.0], [3.0, 3.0]], 0.5, &mut rng).unwrap();
        let spec = NetSpec::mlp(2, &[8], 2, Activation::Relu, None);
        let mut net = Network::from_spec(&spec, &mut rng).unwrap();
        let config = TrainConfig {
            epochs: 1,
            batch_size: 48,
            optimizer: "learned".into(),
            progress: false,
            ..TrainConfig::default()
        };
        let mut trainer = Trainer::<f32>::new(config).unwrap();
        let state = trainer.export_state().optimizer;
        assert!(
            !state.scalars.contains_key("loss_average"),
            "no loss seen yet"
        );
        trainer.fit(&mut net, &data, None, &mut []).unwrap();
        // One full batch, one step: the learned optimizer's running average is that loss.
        let loss = trainer.history().epochs[0].train_loss;
        let average = trainer.export_state().optimizer.scalars["loss_average"];
        assert!(
            (average - loss).abs() < 1e-6 * loss.abs().max(1.0),
            "{average} vs {loss}"
        );
    }
}
