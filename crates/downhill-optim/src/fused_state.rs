//! Saving and restoring a [`FusedOptimizer`](crate::FusedOptimizer)'s state as a [`StateDict`].

use downhill_tensor::{Element, Tensor};

use crate::fused::{Group, Rule, Slot};
use crate::{OptimError, StateDict};

type Loaded<E> = (Vec<Group>, Vec<Option<Slot<E>>>, Vec<Vec<usize>>);

pub(crate) fn save<E: Element, R: Rule>(
    rule: &R,
    groups: &[Group],
    slots: &[Option<Slot<E>>],
    shapes: &[Vec<usize>],
) -> StateDict<E> {
    let mut s = StateDict::default();
    s.scalars.insert("num_params".into(), shapes.len() as f64);
    for (g, group) in groups.iter().enumerate() {
        s.scalars.insert(format!("group.{g}.lr"), group.lr);
        s.scalars
            .insert(format!("group.{g}.weight_decay"), group.weight_decay);
        s.scalars
            .insert(format!("group.{g}.momentum"), group.momentum);
    }
    for (i, shape) in shapes.iter().enumerate() {
        // The shape is kept even for parameters not yet updated, to check later steps.
        let dims: Vec<E> = shape.iter().map(|&d| E::of_usize(d)).collect();
        s.tensors.insert(
            format!("{i}.shape"),
            Tensor::from_vec(&[dims.len()], dims).expect("1-d"),
        );
        let Some(slot) = &slots[i] else { continue };
        s.scalars.insert(format!("{i}.step"), slot.step as f64);
        s.scalars.insert(format!("{i}.mu_product"), slot.scalar);
        for (name, buf) in rule.buffer_names().iter().zip(&slot.bufs) {
            s.tensors.insert(format!("{i}.{name}"), buf.clone());
        }
    }
    s
}

fn bad(msg: String) -> OptimError {
    OptimError::BadState(msg)
}

fn scalar<E: Element>(s: &StateDict<E>, key: &str) -> Result<f64, OptimError> {
    s.scalars
        .get(key)
        .copied()
        .ok_or_else(|| bad(format!("missing scalar `{key}`")))
}

pub(crate) fn load<E: Element, R: Rule>(
    rule: &R,
    num_groups: usize,
    s: &StateDict<E>,
) -> Result<Loaded<E>, OptimError> {
    let mut groups = Vec::with_capacity(num_groups);
    for g in 0..num_groups {
        groups.push(Group {
            lr: scalar(s, &format!("group.{g}.lr"))?,
            weight_decay: scalar(s, &format!("group.{g}.weight_decay"))?,
            momentum: scalar(s, &format!("group.{g}.momentum"))?,
        });
    }
    let n = scalar(s, "num_params")? as usize;
    let (mut slots, mut shapes) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let shape_t = s
            .tensors
            .get(&format!("{i}.shape"))
            .ok_or_else(|| bad(format!("missing `{i}.shape`")))?;
        let shape: Vec<usize> = shape_t
            .as_slice()
            .iter()
            .map(|d| d.as_f64() as usize)
            .collect();
        slots.push(load_slot(rule, s, i, &shape)?);
        shapes.push(shape);
    }
    Ok((groups, slots, shapes))
}

fn load_slot<E: Element, R: Rule>(
    rule: &R,
    s: &StateDict<E>,
    i: usize,
    shape: &[usize],
) -> Result<Option<Slot<E>>, OptimError> {
    let Some(&step) = s.scalars.get(&format!("{i}.step")) else {
        return Ok(None);
    };
    let mut bufs = Vec::new();
    for name in rule.buffer_names() {
        let key = format!("{i}.{name}");
        let t = s
            .tensors
            .get(&key)
            .ok_or_else(|| bad(format!("missing tensor `{key}` for {}", R::NAME)))?;
        if t.shape() != shape {
            return Err(bad(format!(
                "tensor `{key}` has shape {:?}, parameter {i} has {shape:?}",
                t.shape()
            )));
        }
        bufs.push(t.clone());
    }
    let scalar = scalar(s, &format!("{i}.mu_product"))?;
    Ok(Some(Slot {
        step: step as u64,
        scalar,
        bufs,
    }))
}
