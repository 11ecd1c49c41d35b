//! [`LearnedOptimizer`]: the network wrapped in downhill-optim's [`Optimizer`] interface.

use std::sync::Arc;

use downhill_optim::{OptimError, Optimizer, ParamMut, StateDict};
use downhill_tensor::{Element, Tensor};

use crate::features::{
    Accumulators, COS_AVERAGE_DECAY, MOMENTUM_BETAS, NUM_FEATURES, RMS_BETA, cosine,
    feature_matrix, loss_change,
};
use crate::net::{LOSS_AVERAGE_DECAY, LOSS_RECOVERY, LearnedNet};

/// Rows of features pushed through the network at once (bounds the temporaries for big tensors).
const CHUNK_ROWS: usize = 8192;

/// The persistent reversal scale never goes below this
/// ([`LearnedNet::reversal_recovery`]).
const MIN_REVERSAL_SCALE: f64 = 1e-6;

/// The loss shrink's scale never goes below this, so that it can always recover.
const MIN_LOSS_SCALE: f64 = 1e-12;

/// The per-tensor state: accumulators stored in the element type, and the step count.
#[derive(Debug, Clone, PartialEq)]
struct TensorState<E: Element> {
    m: [Tensor<E>; 3],
    r: Tensor<E>,
    step: u64,
    /// The RMS of the last update `Δp` (before `lr`), for the growth limit; 0 before the first.
    update_rms: f64,
    /// The persistent reversal scale `s` (1 without a reversal recovery).
    reversal_scale: f64,
    /// The running reversal average `c̄` (oscillation feature 22; kept for every network).
    cos_average: f64,
}

impl<E: Element> TensorState<E> {
    fn zeros(shape: &[usize]) -> Self {
        Self {
            m: std::array::from_fn(|_| Tensor::zeros(shape)),
            r: Tensor::zeros(shape),
            step: 0,
            update_rms: 0.0,
            reversal_scale: 1.0,
            cos_average: 0.0,
        }
    }
}

/// A learned optimizer: a [`LearnedNet`] applied coordinatewise to every parameter.
///
/// It implements [`Optimizer`], so it is used exactly like `Adam` (e.g. as
/// `Box<dyn Optimizer<f32>>` in a trainer). One parameter group; the learning rate is a global
/// multiplier on the learned step (default 1, the meta-trained behaviour); there is no momentum
/// hyperparameter to set. State is named like PyTorch's: `"<i>.m_0.5"`, `"<i>.m_0.9"`,
/// `"<i>.m_0.99"`, `"<i>.rms_0.999"` (tensors), `"<i>.step"`, `"<i>.update_rms"`,
/// `"<i>.reversal_scale"`, `"<i>.cos_average"`, `"group.0.lr"`, `"num_params"`.
///
/// ```text
/// for every parameter tensor p with gradient g:
///   t ← t + 1;  update the accumulators with g;  x = features(p, g, accumulators, t)
///   Δp = Δp(x)                    (LearnedNet::updates, computed in f64)
///   then, if the network has them: the growth limit (LearnedNet::growth_limit) and the
///   reversal shrink (LearnedNet::reversal_shrink, persistent with a
///   LearnedNet::reversal_recovery) on Δp, and the loss shrink's global
///   scale s (LearnedNet::loss_shrink; s = 1 without it)
///   p ← p + lr · s · Δp           (rounded to E)
/// ```
///
/// [`Optimizer::observe_loss`] feeds the loss shrink (for a network without one the scale
/// stays 1 and only the running average moves) and the loss-change feature of a network with
/// the oscillation features ([`EXTENDED_FEATURES`](crate::features::EXTENDED_FEATURES)). State
/// adds the scalars `"loss_scale"`, `"loss_change"` and `"loss_average"` (the latter once a loss
/// was observed).
///
/// # Errors
/// Besides [`Optimizer::step`]'s shape and count errors, a NaN or infinite gradient is rejected
/// with [`OptimError::InvalidHyperparameter`] (`name = "grad"`), before anything is modified;
/// likewise a non-finite loss given to [`Optimizer::observe_loss`] (`name = "loss"`).
#[derive(Debug, Clone)]
pub struct LearnedOptimizer<E: Element> {
    net: Arc<LearnedNet>,
    lr: f64,
    state: Option<Vec<TensorState<E>>>,
    /// The loss shrink's scale `s` (1 without a loss shrink).
    loss_scale: f64,
    /// The running loss average `a` (`None` before the first observed loss).
    loss_average: Option<f64>,
    /// The loss change of the last observed loss against the average before it
    /// (oscillation feature 23; 0 until two losses were observed).
    loss_change: f64,
}

impl<E: Element> LearnedOptimizer<E> {
    /// An optimizer running `net`, with `lr = 1` and no state yet.
    pub fn new(net: Arc<LearnedNet>) -> Self {
        Self {
            net,
            lr: 1.0,
            state: None,
            loss_scale: 1.0,
            loss_average: None,
            loss_change: 0.0,
        }
    }

    /// The network this optimizer runs.
    pub fn net(&self) -> &Arc<LearnedNet> {
        &self.net
    }

    fn validate(&self, params: &[ParamMut<'_, E>]) -> Result<(), OptimError> {
        let before = self.state.as_ref().map(Vec::len);
        if before.is_some_and(|n| n != params.len()) {
            return Err(OptimError::ParamCountChanged {
                before: before.unwrap_or(0),
                now: params.len(),
            });
        }
        for (index, p) in params.iter().enumerate() {
            if p.group != 0 {
                return Err(OptimError::NoSuchGroup {
                    group: p.group,
                    count: 1,
                });
            }
            let before = self.state.as_ref().map(|s| s[index].r.shape());
            if before.is_some_and(|b| b != p.value.shape()) {
                return Err(OptimError::ParamShapeChanged {
                    index,
                    before: before.unwrap_or(&[]).to_vec(),
                    now: p.value.shape().to_vec(),
                });
            }
            let Some(g) = p.grad else { continue };
            if g.shape() != p.value.shape() {
                return Err(OptimError::GradShape {
                    index,
                    param: p.value.shape().to_vec(),
                    grad: g.shape().to_vec(),
                });
            }
            if let Some(bad) = g.as_slice().iter().find(|v| !v.is_finite()) {
                return Err(OptimError::InvalidHyperparameter {
                    optimizer: "learned",
                    name: "grad",
                    value: bad.as_f64(),
                    reason: "every gradient entry must be finite (NaN or ±inf found)",
                });
            }
        }
        Ok(())
    }

    fn step_tensor(&self, value: &mut Tensor<E>, grad: &Tensor<E>, st: &mut TensorState<E>) {
        let f64s = |t: &Tensor<E>| t.as_slice().iter().map(|v| v.as_f64()).collect::<Vec<_>>();
        let (p, g) = (f64s(value), f64s(grad));
        let mut acc = Accumulators {
            m: std::array::from_fn(|k| f64s(&st.m[k])),
            r: f64s(&st.r),
        };
        // Before the accumulators move: does the gradient point against the fast momentum?
        let cos = cosine(&acc.m[0], &g);
        let reversed = self.net.reversal_shrink.is_some() && cos < 0.0;
        acc.update(&g);
        st.step += 1;
        st.cos_average = COS_AVERAGE_DECAY * st.cos_average + (1.0 - COS_AVERAGE_DECAY) * cos;
        let extra = if self.net.inputs() > NUM_FEATURES {
            let corrected = st.cos_average / (1.0 - COS_AVERAGE_DECAY.powf(st.step as f64));
            vec![cos, corrected, self.loss_change]
        } else {
            Vec::new()
        };
        let x = feature_matrix(&p, &g, &acc, st.step, &extra);
        let mut delta = Vec::with_capacity(p.len());
        for start in (0..p.len()).step_by(CHUNK_ROWS) {
            let end = (start + CHUNK_ROWS).min(p.len());
            let rows = x
                .slice(downhill_tensor::ndarray::s![start..end, ..])
                .to_owned();
            delta.extend(self.net.updates(&rows));
        }
        let rms = (delta.iter().map(|d| d * d).sum::<f64>() / delta.len().max(1) as f64).sqrt();
        st.update_rms = match self.net.growth_limit {
            Some(gamma) if st.step > 1 && st.update_rms > 0.0 && rms > gamma * st.update_rms => {
                let bound = gamma * st.update_rms;
                let scale = bound / rms;
                delta.iter_mut().for_each(|d| *d *= scale);
                bound
            }
            _ => rms,
        };
        match (self.net.reversal_shrink, self.net.reversal_recovery) {
            (Some(eta), Some(rho)) => {
                st.reversal_scale = if reversed {
                    (eta * st.reversal_scale).max(MIN_REVERSAL_SCALE)
                } else {
                    (rho * st.reversal_scale).min(1.0)
                };
                let s = st.reversal_scale;
                delta.iter_mut().for_each(|d| *d *= s);
            }
            (Some(eta), None) if reversed => {
                delta.iter_mut().for_each(|d| *d *= eta);
                st.update_rms *= eta;
            }
            _ => {}
        }
        let lr = self.lr * self.loss_scale;
        for ((v, p0), d) in value.as_mut_slice().iter_mut().zip(&p).zip(&delta) {
            *v = E::of(p0 + lr * d);
        }
        let store = |dst: &mut Tensor<E>, src: &[f64]| {
            for (o, s) in dst.as_mut_slice().iter_mut().zip(src) {
                *o = E::of(*s);
            }
        };
        for k in 0..3 {
            store(&mut st.m[k], &acc.m[k]);
        }
        store(&mut st.r, &acc.r);
    }
}

fn key(i: usize, what: &str) -> String {
    format!("{i}.{what}")
}

fn m_name(k: usize) -> String {
    format!("m_{}", MOMENTUM_BETAS[k])
}

fn r_name() -> String {
    format!("rms_{RMS_BETA}")
}

impl<E: Element> Optimizer<E> for LearnedOptimizer<E> {
    fn step(&mut self, params: &mut [ParamMut<'_, E>]) -> Result<(), OptimError> {
        self.validate(params)?;
        let mut state = self.state.take().unwrap_or_else(|| {
            params
                .iter()
                .map(|p| TensorState::zeros(p.value.shape()))
                .collect()
        });
        for (p, st) in params.iter_mut().zip(state.iter_mut()) {
            if let Some(g) = p.grad {
                self.step_tensor(p.value, g, st);
            }
        }
        self.state = Some(state);
        Ok(())
    }

    fn num_groups(&self) -> usize {
        1
    }

    fn lr(&self, group: usize) -> f64 {
        if group == 0 { self.lr } else { f64::NAN }
    }

    fn set_lr(&mut self, group: usize, lr: f64) -> Result<(), OptimError> {
        if group != 0 {
            return Err(OptimError::NoSuchGroup { group, count: 1 });
        }
        if !(lr.is_finite() && lr >= 0.0) {
            return Err(OptimError::InvalidHyperparameter {
                optimizer: "learned",
                name: "lr",
                value: lr,
                reason: "must be finite and ≥ 0",
            });
        }
        self.lr = lr;
        Ok(())
    }

    fn momentum(&self, _group: usize) -> Option<f64> {
        None
    }

    fn set_momentum(&mut self, _group: usize, _m: f64) -> Result<(), OptimError> {
        Err(OptimError::NoMomentum {
            optimizer: "learned",
        })
    }

    fn state_dict(&self) -> StateDict<E> {
        let mut s = StateDict::default();
        s.scalars.insert("group.0.lr".into(), self.lr);
        s.scalars.insert("loss_scale".into(), self.loss_scale);
        if let Some(a) = self.loss_average {
            s.scalars.insert("loss_average".into(), a);
        }
        s.scalars.insert("loss_change".into(), self.loss_change);
        let Some(state) = &self.state else {
            return s;
        };
        s.scalars.insert("num_params".into(), state.len() as f64);
        for (i, st) in state.iter().enumerate() {
            s.scalars.insert(key(i, "step"), st.step as f64);
            s.scalars.insert(key(i, "update_rms"), st.update_rms);
            s.scalars
                .insert(key(i, "reversal_scale"), st.reversal_scale);
            s.scalars.insert(key(i, "cos_average"), st.cos_average);
            for k in 0..3 {
                s.tensors.insert(key(i, &m_name(k)), st.m[k].clone());
            }
            s.tensors.insert(key(i, &r_name()), st.r.clone());
        }
        s
    }

    fn load_state_dict(&mut self, s: &StateDict<E>) -> Result<(), OptimError> {
        let bad = |m: String| OptimError::BadState(m);
        let lr = *s
            .scalars
            .get("group.0.lr")
            .ok_or_else(|| bad("no `group.0.lr`".into()))?;
        if !(lr.is_finite() && lr >= 0.0) {
            return Err(bad(format!(
                "`group.0.lr` = {lr} is not a valid learning rate"
            )));
        }
        // Absent in state saved before the loss shrink existed: scale 1, no loss seen yet.
        let loss_scale = saved_scale(s, "loss_scale".into())?;
        let loss_average = s.scalars.get("loss_average").copied();
        if let Some(a) = loss_average.filter(|a| !a.is_finite()) {
            return Err(bad(format!("`loss_average` = {a} is not finite")));
        }
        // Absent in state saved before the oscillation features existed: no change seen.
        let loss_change = s.scalars.get("loss_change").copied().unwrap_or(0.0);
        if !(-1.0..=1.0).contains(&loss_change) {
            return Err(bad(format!(
                "`loss_change` = {loss_change} is not in [-1, 1]"
            )));
        }
        let state = match s.scalars.get("num_params") {
            None => None,
            Some(&n) => Some(load_tensors(s, n)?),
        };
        self.lr = lr;
        self.state = state;
        self.loss_scale = loss_scale;
        self.loss_average = loss_average;
        self.loss_change = loss_change;
        Ok(())
    }

    fn name(&self) -> &'static str {
        "learned"
    }

    fn observe_loss(&mut self, loss: f64) -> Result<(), OptimError> {
        if !loss.is_finite() {
            return Err(OptimError::InvalidHyperparameter {
                optimizer: "learned",
                name: "loss",
                value: loss,
                reason: "the observed loss must be finite",
            });
        }
        // The average is kept (and saved) with or without a loss shrink; only the scale
        // depends on it.
        self.loss_average = Some(match self.loss_average {
            None => loss,
            Some(a) => {
                self.loss_change = loss_change(loss, a);
                if let Some(eta) = self.net.loss_shrink {
                    self.loss_scale = if loss > a {
                        (eta * self.loss_scale).max(MIN_LOSS_SCALE)
                    } else {
                        (LOSS_RECOVERY * self.loss_scale).min(1.0)
                    };
                }
                LOSS_AVERAGE_DECAY * a + (1.0 - LOSS_AVERAGE_DECAY) * loss
            }
        });
        Ok(())
    }
}

/// The scale saved under `name` (1 when absent, as in state saved before it existed),
/// rejected unless in `(0, 1]`.
fn saved_scale<E: Element>(s: &StateDict<E>, name: String) -> Result<f64, OptimError> {
    let v = s.scalars.get(&name).copied().unwrap_or(1.0);
    if v > 0.0 && v <= 1.0 {
        Ok(v)
    } else {
        Err(OptimError::BadState(format!(
            "`{name}` = {v} is not a scale in (0, 1]"
        )))
    }
}

fn load_tensors<E: Element>(s: &StateDict<E>, n: f64) -> Result<Vec<TensorState<E>>, OptimError> {
    let bad = |m: String| OptimError::BadState(m);
    if !(n >= 0.0 && n.fract() == 0.0 && n < 1e9) {
        return Err(bad(format!("`num_params` = {n} is not a count")));
    }
    let get = |name: String| {
        s.tensors
            .get(&name)
            .cloned()
            .ok_or_else(|| bad(format!("missing tensor `{name}`")))
    };
    (0..n as usize)
        .map(|i| {
            let r = get(key(i, &r_name()))?;
            let m = [
                get(key(i, &m_name(0)))?,
                get(key(i, &m_name(1)))?,
                get(key(i, &m_name(2)))?,
            ];
            if m.iter().any(|t| t.shape() != r.shape()) {
                return Err(bad(format!("parameter {i}: accumulator shapes differ")));
            }
            let step = *s
                .scalars
                .get(&key(i, "step"))
                .ok_or_else(|| bad(format!("missing `{i}.step`")))?;
            if !(step >= 0.0 && step.fract() == 0.0) {
                return Err(bad(format!("`{i}.step` = {step} is not a count")));
            }
            // Absent in state saved before the growth limit existed: no limit on the next step.
            let update_rms = s.scalars.get(&key(i, "update_rms")).copied().unwrap_or(0.0);
            if !(update_rms.is_finite() && update_rms >= 0.0) {
                return Err(bad(format!(
                    "`{i}.update_rms` = {update_rms} is not a finite RMS ≥ 0"
                )));
            }
            let reversal_scale = saved_scale(s, key(i, "reversal_scale"))?;
            // Absent in state saved before the oscillation features existed.
            let cos_average = s
                .scalars
                .get(&key(i, "cos_average"))
                .copied()
                .unwrap_or(0.0);
            if !(-1.0..=1.0).contains(&cos_average) {
                return Err(bad(format!(
                    "`{i}.cos_average` = {cos_average} is not in [-1, 1]"
                )));
            }
            Ok(TensorState {
                m,
                r,
                step: step as u64,
                update_rms,
                reversal_scale,
                cos_average,
            })
        })
        .collect()
}
