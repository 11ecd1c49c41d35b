//! [`FusedOptimizer`]: the engine behind every named optimizer.
//!
//! A named optimizer is a [`Rule`] (its hyperparameters and one fused per-parameter update);
//! the engine owns the parameter groups and the per-parameter state, checks shapes, and
//! implements [`Optimizer`].

use downhill_tensor::{Element, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::non_negative;
use crate::{OptimError, Optimizer, ParamMut, StateDict};

/// Per-group hyperparameters overriding the optimizer's defaults.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GroupOverrides {
    /// Learning rate of the group (default: the optimizer's).
    pub lr: Option<f64>,
    /// Weight decay of the group (default: the optimizer's).
    pub weight_decay: Option<f64>,
}

/// The current hyperparameters of one parameter group.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// Learning rate.
    pub lr: f64,
    /// Weight decay (L2 or decoupled, as the optimizer defines it).
    pub weight_decay: f64,
    /// Momentum (SGD, RMSprop) or beta1 (Adam family); unused by optimizers without one.
    pub momentum: f64,
}

/// The state of one parameter: its step count, an optional scalar and its buffers.
#[derive(Clone, Debug, PartialEq)]
pub struct Slot<E: Element> {
    /// Number of updates applied so far.
    pub step: u64,
    /// A per-parameter scalar (NAdam's `mu_product`; unused otherwise).
    pub scalar: f64,
    /// The state buffers, in the order of [`Rule::buffer_names`].
    pub bufs: Vec<Tensor<E>>,
}

/// One named optimizer's hyperparameters and fused update.
pub trait Rule: Clone + Send + Sync + 'static {
    /// The name, as [`by_name`](crate::by_name) spells it.
    const NAME: &'static str;
    /// Checks the hyperparameters.
    ///
    /// # Errors
    /// [`OptimError::InvalidHyperparameter`] naming the first bad one.
    fn validate(&self) -> Result<(), OptimError>;
    /// The defaults of group 0.
    fn default_group(&self) -> Group;
    /// Whether the optimizer has a momentum or beta1.
    fn has_momentum(&self) -> bool;
    /// The state buffers' PyTorch names.
    fn buffer_names(&self) -> Vec<&'static str>;
    /// The initial state of a parameter.
    fn init_slot<E: Element>(&self, value: &Tensor<E>) -> Slot<E> {
        let bufs = self
            .buffer_names()
            .iter()
            .map(|_| Tensor::zeros(value.shape()))
            .collect();
        Slot {
            step: 0,
            scalar: 1.0,
            bufs,
        }
    }
    /// One update of one parameter; `slot.step` has already been incremented.
    fn apply<E: Element>(&self, group: &Group, slot: &mut Slot<E>, x: &mut [E], g: &[E]);
}

/// A named optimizer: a [`Rule`] with its parameter groups and per-parameter state.
#[derive(Clone, Debug)]
pub struct FusedOptimizer<E: Element, R: Rule> {
    rule: R,
    groups: Vec<Group>,
    slots: Vec<Option<Slot<E>>>,
    shapes: Vec<Vec<usize>>,
}

impl<E: Element, R: Rule> FusedOptimizer<E, R> {
    /// Validates `rule` and the group overrides (appended after group 0, the defaults).
    ///
    /// # Errors
    /// The first invalid hyperparameter.
    pub fn new(rule: R, overrides: &[GroupOverrides]) -> Result<Self, OptimError> {
        rule.validate()?;
        let base = rule.default_group();
        let mut groups = vec![base];
        for o in overrides {
            let g = Group {
                lr: o.lr.unwrap_or(base.lr),
                weight_decay: o.weight_decay.unwrap_or(base.weight_decay),
                momentum: base.momentum,
            };
            non_negative(R::NAME, "lr", g.lr)?;
            non_negative(R::NAME, "weight_decay", g.weight_decay)?;
            groups.push(g);
        }
        Ok(Self {
            rule,
            groups,
            slots: Vec::new(),
            shapes: Vec::new(),
        })
    }

    /// The optimizer's hyperparameters.
    pub fn rule(&self) -> &R {
        &self.rule
    }

    /// The current hyperparameters of each group.
    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// The state of parameter `i` (`None` before its first update).
    pub fn slot(&self, i: usize) -> Option<&Slot<E>> {
        self.slots.get(i).and_then(Option::as_ref)
    }

    fn group_mut(&mut self, group: usize) -> Result<&mut Group, OptimError> {
        let count = self.groups.len();
        self.groups
            .get_mut(group)
            .ok_or(OptimError::NoSuchGroup { group, count })
    }

    fn check(&self, params: &[ParamMut<'_, E>]) -> Result<(), OptimError> {
        if !self.shapes.is_empty() && self.shapes.len() != params.len() {
            return Err(OptimError::ParamCountChanged {
                before: self.shapes.len(),
                now: params.len(),
            });
        }
        for (index, p) in params.iter().enumerate() {
            if p.group >= self.groups.len() {
                return Err(OptimError::NoSuchGroup {
                    group: p.group,
                    count: self.groups.len(),
                });
            }
            if let Some(before) = self
                .shapes
                .get(index)
                .filter(|s| !downhill_tensor::shapes_equal(s, p.value.shape()))
            {
                let now = p.value.shape().to_vec();
                return Err(OptimError::ParamShapeChanged {
                    index,
                    before: before.clone(),
                    now,
                });
            }
            if let Some(g) = p
                .grad
                .filter(|g| !downhill_tensor::shapes_equal(g.shape(), p.value.shape()))
            {
                let (param, grad) = (p.value.shape().to_vec(), g.shape().to_vec());
                return Err(OptimError::GradShape { index, param, grad });
            }
        }
        Ok(())
    }
}

impl<E: Element, R: Rule> Optimizer<E> for FusedOptimizer<E, R> {
    fn step(&mut self, params: &mut [ParamMut<'_, E>]) -> Result<(), OptimError> {
        self.check(params)?;
        if self.shapes.is_empty() {
            self.shapes = params.iter().map(|p| p.value.shape().to_vec()).collect();
            self.slots = vec![None; params.len()];
        }
        for (i, p) in params.iter_mut().enumerate() {
            let Some(grad) = p.grad else { continue };
            let slot = self.slots[i].get_or_insert_with(|| self.rule.init_slot(p.value));
            slot.step += 1;
            let group = self.groups[p.group];
            self.rule
                .apply(&group, slot, p.value.as_mut_slice(), grad.as_slice());
        }
        Ok(())
    }

    fn num_groups(&self) -> usize {
        self.groups.len()
    }

    fn lr(&self, group: usize) -> f64 {
        self.groups.get(group).map_or(f64::NAN, |g| g.lr)
    }

    fn set_lr(&mut self, group: usize, lr: f64) -> Result<(), OptimError> {
        non_negative(R::NAME, "lr", lr)?;
        self.group_mut(group)?.lr = lr;
        Ok(())
    }

    fn momentum(&self, group: usize) -> Option<f64> {
        self.rule
            .has_momentum()
            .then(|| self.groups.get(group).map(|g| g.momentum))
            .flatten()
    }

    fn set_momentum(&mut self, group: usize, m: f64) -> Result<(), OptimError> {
        if !self.rule.has_momentum() {
            return Err(OptimError::NoMomentum { optimizer: R::NAME });
        }
        crate::error::unit_interval(R::NAME, "momentum", m)?;
        self.group_mut(group)?.momentum = m;
        Ok(())
    }

    fn state_dict(&self) -> StateDict<E> {
        crate::fused_state::save(&self.rule, &self.groups, &self.slots, &self.shapes)
    }

    fn load_state_dict(&mut self, s: &StateDict<E>) -> Result<(), OptimError> {
        let (groups, slots, shapes) = crate::fused_state::load(&self.rule, self.groups.len(), s)?;
        self.groups = groups;
        self.slots = slots;
        self.shapes = shapes;
        Ok(())
    }

    fn name(&self) -> &'static str {
        R::NAME
    }
}
