//! Development-draw comparison of learned-optimizer weights against tuned Adam, and a per-
//! instance look at the tail of one group.
//!
//! ```text
//! cargo run --release -p downhill-l2o --example dev_cells -- cells 0 9 shipped [w.safetensors …]
//! cargo run --release -p downhill-l2o --example dev_cells -- tail mlp-blobs 0 9 shipped
//! cargo run --release -p downhill-l2o --example dev_cells -- tail mlp-iris 0 9 shipped 100
//! ```
//!
//! The groups are those of `downhill l2o eval`: the synthetic ones and the real-data ones
//! (`mlp-iris`, `mlp-wine`, `mlp-breast-cancer`, held-out rows of the bundled sets, read here
//! from `data/*.csv` in scikit-learn's format, as the facade reads them, and z-scored per column
//! with `RealData::standardized`, as `downhill l2o` does).
//!
//! `cells`: for every development draw and in-family group (20 instances), tuned Adam as in
//! `downhill l2o eval` (the rate of the grid with the lowest mean final loss), the mean and
//! median ratio learned / Adam and the per-instance wins, then per weights the number of
//! (group, draw) cells won on mean and median and the worst mean ratio (the selection rule of
//! assets/l2o/HISTORY.md). Only draws below `FIRST_UNTOUCHED_DRAW` are accepted.
//!
//! `tail`: per instance of one group, the task, the learned and tuned-Adam final loss, the
//! dead ReLU units (zero gradient on every incoming weight and the bias over the full batch)
//! after 100 steps, the largest per-step update RMS of the first layer over the first 10
//! steps and its mean over the last 20, for the learned optimizer and Adam at the tuned rate,
//! and the learned run's largest loss; then one summary line over all listed instances (how
//! many the learned optimizer loses, how many of those stall above loss 0.02 and their share of
//! its summed final loss, how many of those have 10 or more dead units, and the median
//! late-RMS ratio on won and on stalled instances). An optional last argument draws that many
//! instances per group instead of 20 (other tasks than the evaluation's 20, still development
//! draws), to count rare stalls: 100 per draw over draws 0–9 gives 1000 instances.

use std::sync::Arc;

use downhill_l2o::{
    DataPool, EvalConfig, FIRST_UNTOUCHED_DRAW, LearnedNet, LearnedOptimizer, RealData, Task,
    TaskGroup, held_out_groups_with, unroll,
};
use downhill_optim::{Adam, Optimizer};
use downhill_tensor::Tensor;
use rayon::prelude::*;

const INSTANCES: usize = 20;
const STEPS: usize = 100;

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The synthetic groups, which come first in every draw.
const SYNTHETIC_GROUPS: usize = 4;

/// A bundled set in scikit-learn's CSV format: a line `rows,features,class names…`, then rows
/// of features ending in the label.
fn read_sklearn_csv(name: &str, file: &str) -> Res<RealData> {
    let path = format!("{}/../../data/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path)?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let classes = lines.next().ok_or("empty file")?.split(',').count() - 2;
    let (mut x, mut y, mut width) = (Vec::new(), Vec::new(), 0);
    for line in lines {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        width = fields.len() - 1;
        for f in &fields[..width] {
            x.push(f.parse::<f64>()?);
        }
        y.push(fields[width].parse::<usize>()?);
    }
    let x = Tensor::from_vec(&[y.len(), width], x)?;
    Ok(RealData::new(name, x, y, classes)?.standardized())
}

/// The family's real data sets, in the CLI's order.
fn pool() -> Res<DataPool> {
    let files = [
        ("iris", "iris.csv"),
        ("wine", "wine_data.csv"),
        ("breast-cancer", "breast_cancer.csv"),
    ];
    let sets = files
        .iter()
        .map(|(n, f)| read_sklearn_csv(n, f))
        .collect::<Res<Vec<_>>>()?;
    Ok(DataPool::new(sets)?)
}

fn groups(draw: u64) -> Res<Vec<TaskGroup>> {
    groups_of(draw, INSTANCES)
}

/// The groups of development draw `draw` with `instances` tasks each (with more than
/// [`INSTANCES`] the tasks of every group but the quadratics differ from the evaluation's,
/// as they are drawn from one stream; they stay development tasks).
fn groups_of(draw: u64, instances: usize) -> Res<Vec<TaskGroup>> {
    Ok(held_out_groups_with(draw, instances, &pool()?)?)
}

/// Weights from a file, or `shipped`.
fn load(spec: &str) -> Res<Arc<LearnedNet>> {
    Ok(Arc::new(if spec == "shipped" {
        LearnedNet::shipped()?
    } else {
        LearnedNet::load(std::path::Path::new(spec))?.0
    }))
}

fn learned(net: &Arc<LearnedNet>) -> LearnedOptimizer<f64> {
    LearnedOptimizer::<f64>::new(net.clone())
}

fn adam(lr: f64) -> Res<Box<dyn Optimizer<f64>>> {
    Ok(Box::new(
        Adam {
            lr,
            ..Adam::default()
        }
        .build::<f64>()?,
    ))
}

fn finals(
    group: &TaskGroup,
    make: &(dyn Fn() -> Res<Box<dyn Optimizer<f64>>> + Sync),
) -> Res<Vec<f64>> {
    group
        .instances
        .par_iter()
        .map(|t| {
            let losses = unroll(t.as_ref(), make()?.as_mut(), STEPS)?;
            let last = *losses.last().unwrap_or(&f64::NAN);
            Ok(if last.is_finite() {
                last
            } else {
                f64::INFINITY
            })
        })
        .collect()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        0.5 * (s[n / 2 - 1] + s[n / 2])
    }
}

/// Tuned Adam: (lr, finals) of the grid rate with the lowest mean final loss.
fn tuned_adam(group: &TaskGroup) -> Res<(f64, Vec<f64>)> {
    let grid = EvalConfig::default().adam_lrs;
    let runs = grid
        .iter()
        .map(|&lr| Ok((lr, finals(group, &move || adam(lr))?)))
        .collect::<Res<Vec<_>>>()?;
    Ok(runs
        .into_iter()
        .min_by(|a, b| mean(&a.1).total_cmp(&mean(&b.1)))
        .expect("non-empty grid"))
}

fn draws(a: &str, b: &str) -> Res<Vec<u64>> {
    let (a, b): (u64, u64) = (a.parse()?, b.parse()?);
    if b >= FIRST_UNTOUCHED_DRAW {
        return Err(format!("draws from {FIRST_UNTOUCHED_DRAW} on are for reporting only").into());
    }
    Ok((a..=b).collect())
}

fn cells(draw_list: &[u64], specs: &[String]) -> Res<()> {
    let nets = specs.iter().map(|s| load(s)).collect::<Res<Vec<_>>>()?;
    let mut won = vec![[0usize; 2]; nets.len()];
    let mut group_won = vec![std::collections::BTreeMap::<String, (usize, f64)>::new(); nets.len()];
    let mut groups_per_draw = [0usize; 2];
    let mut worst = vec![(0.0f64, String::new()); nets.len()];
    println!("draw group        adam-lr  weights  mean-ratio median-ratio wins");
    for &d in draw_list {
        let gs = groups(d)?;
        groups_per_draw = [SYNTHETIC_GROUPS, gs.len() - SYNTHETIC_GROUPS];
        for (gi, g) in gs.into_iter().enumerate() {
            let part = usize::from(gi >= SYNTHETIC_GROUPS);
            let (lr, a) = tuned_adam(&g)?;
            for (k, net) in nets.iter().enumerate() {
                let l = finals(&g, &|| Ok(Box::new(learned(net))))?;
                let (rm, rmed) = (mean(&l) / mean(&a), median(&l) / median(&a));
                let wins = l.iter().zip(&a).filter(|(x, y)| x < y).count();
                let entry = group_won[k].entry(g.name.clone()).or_insert((0, 0.0));
                // Compared directly, not through the ratios: a loss can reach exactly 0 (or
                // -0.0) on the small real-data sets, and a ratio over 0 says nothing.
                if mean(&l) < mean(&a) && median(&l) < median(&a) {
                    won[k][part] += 1;
                    entry.0 += 1;
                }
                entry.1 = entry.1.max(rm);
                if rm > worst[k].0 {
                    worst[k] = (rm, format!("{} d{d}", g.name));
                }
                println!(
                    "{d:>4} {:<12} {lr:>7.0e}  {k:>7}  {rm:>10.3} {rmed:>12.4} {wins:>2}/{INSTANCES}",
                    g.name
                );
            }
        }
    }
    let total = groups_per_draw.map(|g| g * draw_list.len());
    for (k, s) in specs.iter().enumerate() {
        let per_group: Vec<String> = group_won[k]
            .iter()
            .map(|(g, (w, r))| format!("{g} {w} {r:.2}"))
            .collect();
        println!(
            "weights {k} ({s}): synthetic cells {}/{}, real-data cells {}/{}, worst mean ratio {:.2} ({}); per group (cells won, worst mean ratio): {}",
            won[k][0],
            total[0],
            won[k][1],
            total[1],
            worst[k].0,
            worst[k].1,
            per_group.join(", ")
        );
    }
    Ok(())
}

/// Hidden units of the first layer with an exactly zero gradient on their weights and bias.
fn dead_units(task: &dyn Task, params: &[Tensor<f64>]) -> Res<usize> {
    let (_, grads) = task.loss_and_grad(params)?;
    if grads.len() < 2 {
        return Ok(0);
    }
    let (w, b) = (grads[0].as_slice(), grads[1].as_slice());
    let fan_in = w.len() / b.len();
    Ok((0..b.len())
        .filter(|&j| b[j] == 0.0 && w[j * fan_in..(j + 1) * fan_in].iter().all(|v| *v == 0.0))
        .count())
}

/// What [`probe`] measures on one run.
struct Probe {
    /// The final loss.
    loss: f64,
    /// Dead units at the end.
    dead: usize,
    /// The largest first-layer update RMS over steps 1–10.
    early: f64,
    /// The mean first-layer update RMS over the last [`LATE`] steps.
    late: f64,
    /// The largest loss.
    peak: f64,
}

/// The window of [`Probe::late`].
const LATE: usize = 20;

fn probe(task: &dyn Task, opt: &mut dyn Optimizer<f64>) -> Res<Probe> {
    let mut params = task.init();
    let (mut loss, mut early, mut late, mut peak) = (0.0, 0.0f64, 0.0f64, 0.0f64);
    for t in 0..=STEPS {
        let (l, grads) = task.loss_and_grad(&params)?;
        loss = l;
        peak = peak.max(l);
        if t == STEPS || !l.is_finite() {
            break;
        }
        let before = params[0].clone();
        // As `unroll` (and so `cells` and `downhill l2o eval`) does: a network reading the
        // loss change, or with a loss shrink, sees every loss.
        opt.observe_loss(l)?;
        opt.step_tensors(&mut params, &grads)?;
        let d = params[0].as_slice().iter().zip(before.as_slice());
        let rms = (d.map(|(a, b)| (a - b).powi(2)).sum::<f64>() / before.len() as f64).sqrt();
        if t < 10 {
            early = early.max(rms);
        }
        if t >= STEPS - LATE {
            late += rms / LATE as f64;
        }
    }
    Ok(Probe {
        loss,
        dead: dead_units(task, &params)?,
        early,
        late,
        peak,
    })
}

fn tail(group_name: &str, draw_list: &[u64], spec: &str, instances: usize) -> Res<()> {
    let net = load(spec)?;
    println!(
        "draw  i  task                                   learned   adam(lr)      l/a   dead l/a/init  early-rms l/a   late-rms l/a   peak l"
    );
    let mut all = Vec::new();
    for &d in draw_list {
        let groups = groups_of(d, instances)?;
        let g = groups
            .iter()
            .find(|g| g.name == group_name)
            .ok_or("no such group")?;
        let (lr, _) = tuned_adam(g)?;
        let rows: Vec<_> = g
            .instances
            .par_iter()
            .map(|t| {
                let l = probe(t.as_ref(), &mut learned(&net))?;
                let a = probe(t.as_ref(), adam(lr)?.as_mut())?;
                let d0 = dead_units(t.as_ref(), &t.init())?;
                Ok((t.name(), l, a, d0))
            })
            .collect::<Res<Vec<_>>>()?;
        for (i, (name, l, a, d0)) in rows.iter().enumerate() {
            println!(
                "{d:>4} {i:>2}  {name:<38} {:>9.2e} {:>9.2e}({lr:.0e}) {:>8.2} {:>3}/{:>2}/{:>2}  {:>6.3}/{:>6.3}  {:>6.1e}/{:>6.1e} {:>8.2e}",
                l.loss,
                a.loss,
                l.loss / a.loss,
                l.dead,
                a.dead,
                d0,
                l.early,
                a.early,
                l.late,
                a.late,
                l.peak
            );
        }
        all.extend(rows.into_iter().map(|(_, l, a, _)| (l, a)));
    }
    summarize(&all);
    Ok(())
}

/// Instances whose learned run ends above this loss count as stalled in [`summarize`].
const STALLED: f64 = 0.02;

/// Dead units from which a stalled instance counts as "dead" rather than a plateau.
const MANY_DEAD: usize = 10;

/// The summary under `tail`: how many instances the learned optimizer loses, how many of those
/// are stalled (final loss above [`STALLED`]) and what share of the learned summed final loss
/// they carry, how many stalled ones have [`MANY_DEAD`] or more dead units, and the median
/// late-update-RMS ratio learned / Adam on won and on stalled instances.
fn summarize(all: &[(Probe, Probe)]) {
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        match v.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => v[n / 2],
            n => 0.5 * (v[n / 2 - 1] + v[n / 2]),
        }
    };
    let lost: Vec<_> = all.iter().filter(|(l, a)| l.loss > a.loss).collect();
    let stalled: Vec<_> = lost.iter().filter(|(l, _)| l.loss > STALLED).collect();
    let total: f64 = all.iter().map(|(l, _)| l.loss).sum();
    let share = stalled.iter().map(|(l, _)| l.loss).sum::<f64>() / total;
    let dead = stalled.iter().filter(|(l, _)| l.dead >= MANY_DEAD).count();
    let won = median(
        all.iter()
            .filter(|(l, a)| l.loss <= a.loss)
            .map(|(l, a)| l.late / a.late)
            .collect(),
    );
    let stall = median(stalled.iter().map(|(l, a)| l.late / a.late).collect());
    println!(
        "{} instances: learned above Adam on {}, stalled (above {STALLED}) on {} carrying {:.0} % \
         of the learned summed final loss, {dead} of them with {MANY_DEAD}+ dead units; median \
         late-rms learned/Adam {won:.1} on won instances, {stall:.1} on stalled ones",
        all.len(),
        lost.len(),
        stalled.len(),
        100.0 * share
    );
}

/// Loss and per-tensor update RMS every few steps on one instance, learned vs Adam(lr).
fn curve(group_name: &str, draw: u64, index: usize, spec: &str, lr: f64) -> Res<()> {
    let net = load(spec)?;
    let groups = groups(draw)?;
    let g = groups
        .iter()
        .find(|g| g.name == group_name)
        .ok_or("no such group")?;
    let task = g.instances[index].as_ref();
    println!("{}", task.name());
    let mut opts: Vec<Box<dyn Optimizer<f64>>> = vec![Box::new(learned(&net)), adam(lr)?];
    let mut params = [task.init(), task.init()];
    for t in 0..=STEPS {
        let mut line = format!("{t:>3}");
        for (p, opt) in params.iter_mut().zip(opts.iter_mut()) {
            let (l, grads) = task.loss_and_grad(p)?;
            let before = p.clone();
            if t < STEPS {
                opt.observe_loss(l)?;
                opt.step_tensors(p, &grads)?;
            }
            let rms: Vec<String> = p
                .iter()
                .zip(&before)
                .map(|(a, b)| {
                    let ms = a
                        .as_slice()
                        .iter()
                        .zip(b.as_slice())
                        .map(|(x, y)| (x - y).powi(2))
                        .sum::<f64>();
                    format!("{:.1e}", (ms / a.len() as f64).sqrt())
                })
                .collect();
            let dead = if p.len() > 2 { dead_units(task, p)? } else { 0 };
            line += &format!("  | {l:>9.3e} d{dead:>2} [{}]", rms.join(" "));
        }
        if t % 5 == 0 || !(10..=85).contains(&t) {
            println!("{line}");
        }
    }
    Ok(())
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("cells") if args.len() >= 4 => cells(&draws(&args[1], &args[2])?, &args[3..]),
        Some("tail") if args.len() == 5 || args.len() == 6 => tail(
            &args[1],
            &draws(&args[2], &args[3])?,
            &args[4],
            args.get(5).map_or(Ok(INSTANCES), |n| n.parse())?,
        ),
        Some("curve") if args.len() == 6 => curve(
            &args[1],
            args[2].parse()?,
            args[3].parse()?,
            &args[4],
            args[5].parse()?,
        ),
        _ => {
            Err("usage: dev_cells cells FIRST LAST WEIGHTS… | tail GROUP FIRST LAST WEIGHTS [INSTANCES]".into())
        }
    }
}
