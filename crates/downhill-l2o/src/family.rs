//! The task family: which tasks meta-training sees and which are held out for evaluation.

use rand::SeedableRng;

use crate::error::Result;
use crate::eval::TaskGroup;
use crate::mlp_task::MlpTask;
use crate::quadratic::QuadraticTask;
use crate::real::DataPool;
use crate::synthetic::Synthetic;
use crate::task::Task;

/// Seeds at or above this value are reserved for held-out tasks; meta-training draws its tasks
/// from streams seeded below it, so training and evaluation never share a task.
pub const HELD_OUT_SEED_BASE: u64 = 1 << 40;

/// The first held-out draw reserved for reporting (see [`held_out_groups`]).
///
/// Draws `0..FIRST_UNTOUCHED_DRAW` are development draws: they have been looked at while
/// choosing features, meta-objectives and training runs (draws 0–2 by the sessions that built
/// the optimizer), and [`reproduction_check`](crate::reproduction_check) uses draw 7. Draws
/// from `FIRST_UNTOUCHED_DRAW` on are only for reporting: no design or selection decision may
/// look at them (`downhill l2o eval` and the lab default to this draw). Meta-training itself
/// never sees any held-out draw.
pub const FIRST_UNTOUCHED_DRAW: u64 = 10;

/// The random generator used for every seeded draw in this crate.
pub type L2oRng = rand::rngs::Xoshiro256PlusPlus;

/// `count` tasks for meta-training iteration `iteration` of a run seeded `seed`: alternately a
/// quadratic and a synthetic-data MLP ([`training_tasks_with`] with an empty pool).
///
/// # Errors
/// None in practice (sampled sizes are valid).
pub fn training_tasks(seed: u64, iteration: u64, count: usize) -> Result<Vec<Box<dyn Task>>> {
    training_tasks_with(seed, iteration, count, &DataPool::default())
}

/// `count` tasks for meta-training iteration `iteration` of a run seeded `seed`. With an empty
/// `pool`, alternately a quadratic and a synthetic-data MLP; otherwise in turn a quadratic, a
/// synthetic-data MLP and an MLP on the meta-training rows of a real data set of the pool
/// (task `i` is of kind `i mod 3`). An empty pool gives bit for bit the tasks of the family
/// before real data existed.
///
/// # Errors
/// None in practice (sampled sizes are valid, the pool's sets are validated).
pub fn training_tasks_with(
    seed: u64,
    iteration: u64,
    count: usize,
    pool: &DataPool,
) -> Result<Vec<Box<dyn Task>>> {
    let stream = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ iteration;
    let mut rng = L2oRng::seed_from_u64(stream % HELD_OUT_SEED_BASE);
    let kinds = if pool.is_empty() { 2 } else { 3 };
    (0..count)
        .map(|i| -> Result<Box<dyn Task>> {
            Ok(match i % kinds {
                0 => Box::new(QuadraticTask::sample(&mut rng)?),
                1 => Box::new(MlpTask::sample(&mut rng)?),
                _ => Box::new(pool.sample_training(&mut rng)?),
            })
        })
        .collect()
}

/// The held-out in-family groups, `instances` tasks each: quadratics, and MLPs on blobs,
/// spirals and XOR. `seed` selects the draw (offset into the held-out seed range; draws from
/// [`FIRST_UNTOUCHED_DRAW`] on are for reporting only). [`held_out_groups_with`] with an empty
/// pool.
///
/// # Errors
/// None in practice (sampled sizes are valid).
pub fn held_out_groups(seed: u64, instances: usize) -> Result<Vec<TaskGroup>> {
    held_out_groups_with(seed, instances, &DataPool::default())
}

/// The held-out in-family groups of draw `seed`, `instances` tasks each: quadratics, MLPs on
/// blobs, spirals and XOR, then one group `mlp-<name>` per set of `pool`, in the pool's order,
/// of MLPs on that set's held-out rows (see [`DataPool`]: they share the data distribution
/// with meta-training, not the rows).
///
/// The real-data groups are drawn from the same generator *after* the other groups, so the
/// quadratic and synthetic groups of every draw are bitwise those of [`held_out_groups`].
///
/// # Errors
/// None in practice (sampled sizes are valid, the pool's sets are validated).
pub fn held_out_groups_with(
    seed: u64,
    instances: usize,
    pool: &DataPool,
) -> Result<Vec<TaskGroup>> {
    let mut rng = L2oRng::seed_from_u64(HELD_OUT_SEED_BASE + seed);
    groups_from(&mut rng, instances, pool, true)
}

/// Groups built like [`held_out_groups_with`]'s (quadratics, MLPs on blobs, spirals and XOR,
/// one group per set of `pool`, `instances` tasks each) but drawn from the training seed range
/// with a stream that no meta-training iteration uses (`seed` is the run's seed), and for real
/// data from the meta-training rows: neither held out nor trained on. Meta-training's
/// group-mean selection ([`Selection::GroupMean`](crate::Selection::GroupMean)) scores its
/// iterates on them.
///
/// # Errors
/// None in practice (sampled sizes are valid, the pool's sets are validated).
pub fn validation_groups_with(
    seed: u64,
    instances: usize,
    pool: &DataPool,
) -> Result<Vec<TaskGroup>> {
    let stream = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ VALIDATION_GROUP_STREAM;
    let mut rng = L2oRng::seed_from_u64(stream % HELD_OUT_SEED_BASE);
    groups_from(&mut rng, instances, pool, false)
}

/// The task-stream index of [`validation_groups_with`]: far above any iteration count and
/// distinct from meta-training's per-task validation stream.
const VALIDATION_GROUP_STREAM: u64 = 3 << 38;

/// The held-out MLP groups on synthetic data (after the quadratics), by name and data.
const HELD_OUT_MLP_GROUPS: [(&str, Synthetic); 3] = [
    ("mlp-blobs", Synthetic::Blobs { dim: 4, classes: 3 }),
    ("mlp-spirals", Synthetic::Spirals { classes: 2 }),
    ("mlp-xor", Synthetic::Xor),
];

/// The number of groups [`held_out_groups_with`] and [`validation_groups_with`] draw for
/// `pool`: the quadratics, the synthetic MLP groups and one per real data set.
pub(crate) fn group_count(pool: &DataPool) -> usize {
    1 + HELD_OUT_MLP_GROUPS.len() + pool.names().len()
}

fn groups_from(
    rng: &mut L2oRng,
    instances: usize,
    pool: &DataPool,
    held_out: bool,
) -> Result<Vec<TaskGroup>> {
    let mut quads: Vec<Box<dyn Task>> = Vec::new();
    for _ in 0..instances {
        quads.push(Box::new(QuadraticTask::sample(rng)?));
    }
    let mut groups = vec![TaskGroup::new("quadratic", true, quads)];
    for (name, data) in HELD_OUT_MLP_GROUPS {
        let mut tasks: Vec<Box<dyn Task>> = Vec::new();
        for _ in 0..instances {
            tasks.push(Box::new(MlpTask::sample_on(rng, data)?));
        }
        groups.push(TaskGroup::new(name, true, tasks));
    }
    for (name, tasks) in pool.sample_groups(rng, instances, held_out)? {
        let tasks = tasks
            .into_iter()
            .map(|t| Box::new(t) as Box<dyn Task>)
            .collect();
        groups.push(TaskGroup::new(name, true, tasks));
    }
    Ok(groups)
}
