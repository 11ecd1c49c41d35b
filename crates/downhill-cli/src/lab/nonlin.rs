//! Experiment 1: the four nonlinearities of the lecture and their derivatives, checked against
//! finite differences, and the slide's sigmoid `1/(1+eᵃ)` measured against the logistic one.

use downhill::tensor::{sigmoid, sigmoid_grad, softplus, tanh_grad};
use serde_json::json;

use super::common::{f, line_figure};
use super::{Ctx, Outcome, Support, Table};
use downhill::plot::Series;

/// A nonlinearity: name, f, f′ (as the library computes them).
type Nonlin = (&'static str, fn(f64) -> f64, fn(f64) -> f64);

const NONLINS: [Nonlin; 4] = [
    (
        "sigmoid σ(a) = 1/(1+e^−a)",
        sigmoid::<f64>,
        sigmoid_grad::<f64>,
    ),
    ("tanh(a)", f64::tanh, tanh_grad::<f64>),
    ("ReLU max(0, a)", relu, relu_grad),
    ("softplus log(1+e^a)", softplus::<f64>, sigmoid::<f64>),
];

fn relu(a: f64) -> f64 {
    a.max(0.0)
}

fn relu_grad(a: f64) -> f64 {
    if a > 0.0 { 1.0 } else { 0.0 }
}

/// The slide's formula, literally.
fn slide_sigmoid(a: f64) -> f64 {
    1.0 / (1.0 + a.exp())
}

/// The grid of inputs, avoiding ReLU's kink at 0 for the finite-difference check.
fn grid(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| -6.0 + 12.0 * (i as f64 + 0.37) / n as f64)
        .collect()
}

/// Runs experiment 1.
///
/// # Errors
/// None in practice (plotting errors only).
pub fn run(ctx: &Ctx) -> downhill::Result<Outcome> {
    ctx.status("derivatives vs finite differences");
    let xs = grid(ctx.budget.pick(200, 1000, 4000));
    let h = 1e-5;
    let mut fd_err = serde_json::Map::new();
    let mut rows = Vec::new();
    for (name, fun, der) in NONLINS {
        let err = xs
            .iter()
            .map(|&a| ((fun(a + h) - fun(a - h)) / (2.0 * h) - der(a)).abs())
            .fold(0.0, f64::max);
        let max_der = xs.iter().map(|&a| der(a)).fold(0.0, f64::max);
        fd_err.insert(name.into(), json!(err));
        rows.push(vec![name.to_string(), format!("{err:.1e}"), f(max_der, 4)]);
    }
    let derivs_ok = fd_err
        .values()
        .all(|v| v.as_f64().is_some_and(|e| e < 1e-6));
    let mirror = xs
        .iter()
        .map(|&a| (slide_sigmoid(a) - sigmoid(-a)).abs())
        .fold(0.0, f64::max);
    let slide_vs_logistic = xs
        .iter()
        .map(|&a| (slide_sigmoid(a) - sigmoid(a)).abs())
        .fold(0.0, f64::max);
    let slide_increasing = xs
        .windows(2)
        .all(|w| slide_sigmoid(w[1]) >= slide_sigmoid(w[0]));
    // Stability at extremes: the naive formulas overflow to inf / NaN there.
    let stable = sigmoid(-800.0_f64) == 0.0 && softplus(800.0_f64) == 800.0;
    let naive_softplus_800 = (1.0 + 800.0_f64.exp()).ln();
    let slide_ok = slide_vs_logistic < 1e-9;
    let supported = Support::from_checks(&[derivs_ok && stable, slide_ok]);
    let verdict = format!(
        "All four derivatives agree with central finite differences (max error {:.1e}); σ′ peaks \
         at {:.3} and tanh′ at {:.3}, so a sigmoid passes back at most a quarter of the gradient. \
         The slide's sigmoid 1/(1+e^a) {} the logistic function: it differs by up to {:.3}, is \
         {}, and equals σ(−a) to {:.1e} — a sign typo. Stable forms: σ(−800) = {}, softplus(800) \
         = {} (naive log(1+e^800) = {}).",
        fd_err
            .values()
            .filter_map(|v| v.as_f64())
            .fold(0.0, f64::max),
        sigmoid_grad(0.0_f64),
        tanh_grad(0.0_f64),
        if slide_ok { "is" } else { "is not" },
        slide_vs_logistic,
        if slide_increasing {
            "increasing"
        } else {
            "decreasing"
        },
        mirror,
        sigmoid(-800.0_f64),
        softplus(800.0_f64),
        naive_softplus_800
    );
    let figures = vec![plot(&xs, false)?, plot(&xs, true)?];
    Ok(Outcome {
        claim: "The usual nonlinearities are σ(a) = 1/(1+e^a) (as the slide writes it), tanh(a), \
                max(0, a) and log(1+e^a)."
            .into(),
        measurements: json!({
            "max_abs_error_derivative_vs_finite_difference": fd_err,
            "slide_sigmoid_max_abs_diff_from_logistic": slide_vs_logistic,
            "slide_sigmoid_max_abs_diff_from_logistic_of_minus_a": mirror,
            "slide_sigmoid_increasing": slide_increasing,
            "sigmoid_grad_max": sigmoid_grad(0.0_f64),
            "tanh_grad_max": tanh_grad(0.0_f64),
            "stable_at_extremes": stable,
        }),
        supported,
        verdict,
        figures,
        tables: vec![Table {
            caption: "Derivatives checked against central differences (h = 1e-5) on [−6, 6]".into(),
            header: vec![
                "nonlinearity".into(),
                "max |f′ − FD|".into(),
                "max f′".into(),
            ],
            rows,
        }],
        config: json!({"grid": [-6.0, 6.0], "points": xs.len(), "finite_difference_h": h}),
        seeds: vec![],
    })
}

/// The functions (with the slide's sigmoid, dashed in spirit: its own series) or derivatives.
fn plot(xs: &[f64], derivative: bool) -> downhill::Result<super::Figure> {
    let xs: Vec<f64> = xs.iter().copied().filter(|a| a.abs() <= 5.0).collect();
    let mut series: Vec<Series> = NONLINS
        .iter()
        .map(|(name, fun, der)| Series {
            label: if derivative {
                format!("d/da {name}")
            } else {
                name.to_string()
            },
            points: xs
                .iter()
                .map(|&a| (a, if derivative { der(a) } else { fun(a) }))
                .collect(),
        })
        .collect();
    if !derivative {
        series.push(Series {
            label: "slide's 1/(1+e^a) (typo)".into(),
            points: xs.iter().map(|&a| (a, slide_sigmoid(a))).collect(),
        });
    }
    let (file, title, y) = if derivative {
        (
            "nonlinearities-derivatives.svg",
            "Derivatives f′(a)",
            "f′(a)",
        )
    } else {
        (
            "nonlinearities-functions.svg",
            "Nonlinearities f(a)",
            "f(a)",
        )
    };
    let caption = if derivative {
        "Derivatives as the library computes them; σ′ never exceeds 0.25, softplus′ = σ."
    } else {
        "The four nonlinearities and the slide's literal sigmoid formula, which is σ mirrored."
    };
    line_figure(
        file,
        caption,
        (title, "pre-activation a (unitless)", y),
        &series,
        false,
    )
}
