//! Experiment 2: optimizer paths on 2-D test surfaces (Rosenbrock, Beale, a saddle, an
//! ill-conditioned quadratic), each optimizer at its best learning rate from a log grid, and
//! momentum against Nesterov on a quadratic (overshoot).

use downhill::Tensor;
use downhill::optim::{Hyper, by_name};
use serde_json::{Value, json};

use super::common::never;
use super::svg::{Path2, contour_svg};
use super::{Ctx, Figure, Outcome, Support, Table};

mod problems;
use problems::{PROBLEMS, Problem};

/// The optimizers compared: label, name for `by_name`, extra hyperparameters.
pub(super) fn optimizers() -> Vec<(&'static str, &'static str, Hyper)> {
    let h = Hyper::default;
    vec![
        ("SGD", "sgd", h()),
        (
            "momentum",
            "sgd",
            Hyper {
                momentum: Some(0.9),
                ..h()
            },
        ),
        (
            "Nesterov",
            "sgd",
            Hyper {
                momentum: Some(0.9),
                nesterov: Some(true),
                ..h()
            },
        ),
        ("Adagrad", "adagrad", h()),
        ("Adadelta", "adadelta", h()),
        ("RMSprop", "rmsprop", h()),
        ("Adam", "adam", h()),
        ("AdamW", "adamw", h()),
        ("NAdam", "nadam", h()),
        ("Lion", "lion", h()),
    ]
}

/// One run: the iterates and the first step at which the problem counts as solved.
struct Run {
    lr: f64,
    path: Vec<(f64, f64)>,
    solved_at: Option<usize>,
    final_f: f64,
}

/// Runs `opt` at `lr` on `p` for at most `steps` steps.
fn descend(p: &Problem, name: &str, hyper: &Hyper, lr: f64, steps: usize) -> downhill::Result<Run> {
    let hyper = Hyper {
        lr: Some(lr),
        ..hyper.clone()
    };
    let mut opt = by_name::<f64>(name, &hyper)?;
    let mut params = vec![Tensor::from_vec(&[2], vec![p.start.0, p.start.1])?];
    let mut path = vec![p.start];
    let mut solved_at = None;
    for t in 1..=steps {
        let xy = (params[0].as_slice()[0], params[0].as_slice()[1]);
        let (gx, gy) = (p.grad)(xy.0, xy.1);
        opt.step_tensors(&mut params, &[Tensor::from_vec(&[2], vec![gx, gy])?])?;
        let q = (params[0].as_slice()[0], params[0].as_slice()[1]);
        path.push(q);
        let v = (p.f)(q.0, q.1);
        if !v.is_finite() || q.0.abs() > 1e6 || q.1.abs() > 1e6 {
            break; // diverged
        }
        if (p.solved)(v) {
            solved_at = Some(t);
            break;
        }
    }
    let last = *path.last().unwrap_or(&p.start);
    Ok(Run {
        lr,
        path,
        solved_at,
        final_f: (p.f)(last.0, last.1),
    })
}

/// The best run over the lr grid: fewest steps to solve, else the lowest final value.
fn best_run(
    p: &Problem,
    name: &str,
    hyper: &Hyper,
    grid: &[f64],
    steps: usize,
) -> downhill::Result<Run> {
    let mut best: Option<Run> = None;
    for &lr in grid {
        let r = descend(p, name, hyper, lr, steps)?;
        let better = match &best {
            None => true,
            Some(b) => match (r.solved_at, b.solved_at) {
                (Some(s), Some(t)) => s < t,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => {
                    r.final_f.is_finite() && (r.final_f < b.final_f || b.final_f.is_nan())
                }
            },
        };
        if better {
            best = Some(r);
        }
    }
    best.ok_or_else(|| downhill::Error::config("lr grid", "empty"))
}

/// Thins a path for drawing: every early point, then at most ~400 in all.
fn thin(path: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let k = (path.len() / 400).max(1);
    path.iter()
        .enumerate()
        .filter(|(i, _)| *i < 60 || i % k == 0 || *i + 1 == path.len())
        .map(|(_, q)| *q)
        .collect()
}

/// Runs experiment 2.
///
/// # Errors
/// An optimizer rejecting its configuration.
pub fn run(ctx: &Ctx) -> downhill::Result<Outcome> {
    let steps = ctx.budget.pick(200, 3000, 10000);
    let exps: Vec<f64> = match ctx.budget.pick(0, 1, 2) {
        0 => vec![-2.0, -1.0],
        1 => (-4..=1).map(f64::from).collect(),
        _ => (-8..=2).map(|k| f64::from(k) / 2.0).collect(),
    };
    let grid: Vec<f64> = exps.iter().map(|e| 10f64.powf(*e)).collect();
    let opts = optimizers();
    let mut table = Table {
        caption: format!(
            "Steps to solve (≤ {steps}; best lr from the grid in parentheses; — = not solved)"
        ),
        header: std::iter::once("optimizer".to_string())
            .chain(PROBLEMS.iter().map(|p| p.name.to_string()))
            .collect(),
        rows: opts.iter().map(|o| vec![o.0.to_string()]).collect(),
    };
    let mut figures = Vec::new();
    let mut meas = serde_json::Map::new();
    for p in PROBLEMS.iter() {
        let mut paths = Vec::new();
        let mut per_opt = serde_json::Map::new();
        for (k, (label, name, hyper)) in opts.iter().enumerate() {
            ctx.status(format!("{}: {label}", p.name));
            let r = best_run(p, name, hyper, &grid, steps)?;
            let cell = r.solved_at.map_or("—".to_string(), |s| s.to_string());
            table.rows[k].push(format!("{cell} ({:.0e})", r.lr));
            per_opt.insert(
                label.to_string(),
                json!({"steps": r.solved_at, "lr": r.lr, "final_f": r.final_f}),
            );
            paths.push(Path2 {
                label: format!("{label} (lr {:.0e})", r.lr),
                points: thin(&r.path),
            });
        }
        meas.insert(p.name.to_string(), Value::Object(per_opt));
        figures.push(Figure {
            file: format!("surfaces-{}.svg", p.file),
            caption: format!(
                "{} — {}. Each optimizer at its best learning rate; ○ start, ★ minimum. {}",
                p.name, p.formula, p.solved_text
            ),
            svg: contour_svg(
                &format!("{}: {}", p.name, p.formula),
                &p.f,
                p.window,
                &paths,
                p.minimum,
            ),
        });
    }
    let (overshoot, fig) = momentum_vs_nesterov(ctx)?;
    figures.push(fig);
    verdict(meas, overshoot, figures, table, steps, &grid)
}

/// Steps of an optimizer on a problem from the measurements (None = not solved).
fn steps_of(meas: &serde_json::Map<String, Value>, problem: &str, opt: &str) -> Option<u64> {
    meas.get(problem)?.get(opt)?.get("steps")?.as_u64()
}

/// Whether `a` solved in fewer steps than `b` (solving at all beats not solving).
fn faster(a: Option<u64>, b: Option<u64>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x < y,
        (Some(_), None) => true,
        _ => false,
    }
}

/// Turns the measurements into the outcome.
fn verdict(
    meas: serde_json::Map<String, Value>,
    overshoot: Value,
    figures: Vec<Figure>,
    table: Table,
    steps: usize,
    grid: &[f64],
) -> downhill::Result<Outcome> {
    let s = |p: &str, o: &str| steps_of(&meas, p, o);
    let q = "ill-conditioned quadratic";
    let mom_quad = faster(s(q, "momentum"), s(q, "SGD"));
    let mom_rosen = faster(s("Rosenbrock", "momentum"), s("Rosenbrock", "SGD"));
    let adaptive = ["Adagrad", "RMSprop", "Adam"]
        .iter()
        .filter_map(|o| s(q, o))
        .min();
    let adaptive_quad = faster(adaptive, s(q, "SGD"));
    let nest = overshoot["nesterov_overshoot"].as_f64().unwrap_or(f64::NAN);
    let mom = overshoot["momentum_overshoot"].as_f64().unwrap_or(f64::NAN);
    let nest_less = nest < mom;
    let checks = [mom_quad, mom_rosen, adaptive_quad, nest_less];
    let text = format!(
        "Momentum vs SGD (steps to tolerance at each one's best lr): ill-conditioned quadratic \
         {} vs {} ({}), Rosenbrock {} vs {} ({}). Best of Adagrad/RMSprop/Adam on the \
         ill-conditioned quadratic: {} vs SGD {} ({}). Overshoot past the minimum on ½x² \
         (lr 0.1, μ 0.9): momentum {:.3}, Nesterov {:.3} ({}).",
        never(s(q, "momentum")),
        never(s(q, "SGD")),
        yes(mom_quad),
        never(s("Rosenbrock", "momentum")),
        never(s("Rosenbrock", "SGD")),
        yes(mom_rosen),
        never(adaptive),
        never(s(q, "SGD")),
        yes(adaptive_quad),
        mom,
        nest,
        yes(nest_less)
    );
    Ok(Outcome {
        claim:
            "Momentum speeds SGD up along shallow, consistent directions; adaptive per-dimension \
                step sizes (Adagrad, RMSprop, Adam) cope with dimensions of different curvature; \
                Nesterov's look-ahead overshoots less than plain momentum."
                .into(),
        measurements: json!({"steps_to_solve": meas, "momentum_vs_nesterov": overshoot}),
        supported: Support::from_checks(&checks),
        verdict: text,
        figures,
        tables: vec![table],
        config: json!({
            "max_steps": steps, "lr_grid": grid,
            "problems": PROBLEMS.iter().map(|p| json!({"name": p.name, "f": p.formula,
                "start": p.start, "solved": p.solved_text})).collect::<Vec<_>>(),
            "optimizers": optimizers().iter().map(|o| json!({"label": o.0, "name": o.1,
                "hyper": o.2})).collect::<Vec<_>>(),
        }),
        seeds: vec![],
    })
}

/// "as claimed" / "not as claimed".
fn yes(b: bool) -> &'static str {
    if b { "as claimed" } else { "not as claimed" }
}

/// Momentum and Nesterov (same lr, μ) on f = ½x² from x = 1: how far each overshoots.
fn momentum_vs_nesterov(ctx: &Ctx) -> downhill::Result<(Value, Figure)> {
    ctx.status("momentum vs Nesterov");
    let mut curves = Vec::new();
    let mut out = serde_json::Map::new();
    for (label, nesterov) in [("momentum", false), ("nesterov", true)] {
        let hyper = Hyper {
            lr: Some(0.1),
            momentum: Some(0.9),
            nesterov: Some(nesterov),
            ..Hyper::default()
        };
        let mut opt = by_name::<f64>("sgd", &hyper)?;
        let mut x = vec![Tensor::from_vec(&[1], vec![1.0])?];
        let mut xs = vec![1.0];
        for _ in 0..120 {
            let g = x[0].clone(); // ∇½x² = x
            opt.step_tensors(&mut x, &[g])?;
            xs.push(x[0].as_slice()[0]);
        }
        let overshoot = -xs.iter().copied().fold(f64::INFINITY, f64::min);
        let settle = xs.iter().rposition(|v| v.abs() > 1e-2).map_or(0, |i| i + 1);
        out.insert(format!("{label}_overshoot"), json!(overshoot));
        out.insert(format!("{label}_steps_to_stay_within_0.01"), json!(settle));
        curves.push(downhill::plot::Series {
            label: format!("{label} (overshoot {overshoot:.3})"),
            points: xs.iter().enumerate().map(|(t, v)| (t as f64, *v)).collect(),
        });
    }
    let fig = super::common::line_figure(
        "surfaces-momentum-vs-nesterov.svg",
        "SGD with momentum 0.9 and lr 0.1 on f(x) = ½x² from x = 1: Nesterov's look-ahead damps \
         the oscillation that plain momentum shows (the minimum is x = 0).",
        ("Comparing momentums on f(x) = ½x²", "step t", "x_t"),
        &curves,
        false,
    )?;
    Ok((Value::Object(out), fig))
}
