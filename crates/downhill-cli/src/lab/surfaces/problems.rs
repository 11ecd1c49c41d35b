//! The 2-D test problems of experiment 2, with hand-written gradients.

use crate::lab::svg::Window;

/// One test surface.
pub struct Problem {
    /// Name in tables.
    pub name: &'static str,
    /// File-name part.
    pub file: &'static str,
    /// The formula, for captions.
    pub formula: &'static str,
    /// f(x, y).
    pub f: fn(f64, f64) -> f64,
    /// ∇f(x, y).
    pub grad: fn(f64, f64) -> (f64, f64),
    /// Where every optimizer starts.
    pub start: (f64, f64),
    /// What the contour plot shows.
    pub window: Window,
    /// The minimizer, if there is one.
    pub minimum: Option<(f64, f64)>,
    /// When a run counts as done, given f.
    pub solved: fn(f64) -> bool,
    /// The criterion in words.
    pub solved_text: &'static str,
}

/// f* = 0 problems are solved at f < 1e-4.
fn below_tol(f: f64) -> bool {
    f < 1e-4
}

fn rosenbrock(x: f64, y: f64) -> f64 {
    (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2)
}

fn rosenbrock_grad(x: f64, y: f64) -> (f64, f64) {
    (
        -2.0 * (1.0 - x) - 400.0 * x * (y - x * x),
        200.0 * (y - x * x),
    )
}

/// The three residuals of Beale's function.
fn beale_terms(x: f64, y: f64) -> [f64; 3] {
    [
        1.5 - x + x * y,
        2.25 - x + x * y * y,
        2.625 - x + x * y.powi(3),
    ]
}

fn beale(x: f64, y: f64) -> f64 {
    beale_terms(x, y).iter().map(|t| t * t).sum()
}

fn beale_grad(x: f64, y: f64) -> (f64, f64) {
    let [a, b, c] = beale_terms(x, y);
    (
        2.0 * a * (y - 1.0) + 2.0 * b * (y * y - 1.0) + 2.0 * c * (y.powi(3) - 1.0),
        2.0 * a * x + 4.0 * b * x * y + 6.0 * c * x * y * y,
    )
}

fn saddle(x: f64, y: f64) -> f64 {
    x * x - y * y
}

fn saddle_grad(x: f64, y: f64) -> (f64, f64) {
    (2.0 * x, -2.0 * y)
}

/// Escaping the saddle: f has fallen below −1 (the start is near f = +1).
fn escaped(f: f64) -> bool {
    f < -1.0
}

/// Curvatures 1 and 50 (condition number 50).
fn quadratic(x: f64, y: f64) -> f64 {
    0.5 * (x * x + 50.0 * y * y)
}

fn quadratic_grad(x: f64, y: f64) -> (f64, f64) {
    (x, 50.0 * y)
}

/// The four surfaces.
pub const PROBLEMS: [Problem; 4] = [
    Problem {
        name: "Rosenbrock",
        file: "rosenbrock",
        formula: "(1−x)² + 100(y−x²)²",
        f: rosenbrock,
        grad: rosenbrock_grad,
        start: (-1.2, 1.0),
        window: Window {
            x: (-2.0, 2.0),
            y: (-1.0, 3.0),
        },
        minimum: Some((1.0, 1.0)),
        solved: below_tol,
        solved_text: "Solved when f < 1e-4.",
    },
    Problem {
        name: "Beale",
        file: "beale",
        formula: "Σᵢ (cᵢ − x + x·yⁱ)², c = 1.5, 2.25, 2.625",
        f: beale,
        grad: beale_grad,
        start: (1.0, 1.5),
        window: Window {
            x: (-1.0, 4.5),
            y: (-1.5, 2.0),
        },
        minimum: Some((3.0, 0.5)),
        solved: below_tol,
        solved_text: "Solved when f < 1e-4.",
    },
    Problem {
        name: "saddle",
        file: "saddle",
        formula: "x² − y²",
        f: saddle,
        grad: saddle_grad,
        start: (1.0, 1e-3),
        window: Window {
            x: (-1.5, 1.5),
            y: (-1.5, 1.5),
        },
        minimum: None,
        solved: escaped,
        solved_text: "No minimum: 'solved' means escaped the saddle point (f < −1), starting \
                      almost on the ridge y = 0.",
    },
    Problem {
        name: "ill-conditioned quadratic",
        file: "quadratic",
        formula: "½(x² + 50y²)",
        f: quadratic,
        grad: quadratic_grad,
        start: (-4.0, 1.5),
        window: Window {
            x: (-5.0, 5.0),
            y: (-2.5, 2.5),
        },
        minimum: Some((0.0, 0.0)),
        solved: below_tol,
        solved_text: "Condition number 50; solved when f < 1e-4.",
    },
];
