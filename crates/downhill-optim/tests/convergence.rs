//! The convergence table (as optax keeps one): every optimizer reaches the tolerance on a
//! quadratic, an ill-conditioned quadratic (κ = 100) and Rosenbrock's function within the step
//! budget, with the hyperparameters written below (and in the crate docs).

use downhill_optim::{Hyper, by_name};
use downhill_tensor::Tensor;

#[derive(Clone, Copy, Debug)]
enum Problem {
    Quadratic,
    IllConditioned,
    Rosenbrock,
}

const TARGET: [f64; 4] = [1.0, -2.0, 3.0, 0.5];

impl Problem {
    /// Value and gradient at x.
    fn eval(self, x: &[f64]) -> (f64, Vec<f64>) {
        match self {
            Problem::Quadratic | Problem::IllConditioned => {
                let k = |i: usize| {
                    if matches!(self, Problem::Quadratic) {
                        1.0
                    } else {
                        [1.0, 10.0, 30.0, 100.0][i]
                    }
                };
                let f = x
                    .iter()
                    .enumerate()
                    .map(|(i, v)| 0.5 * k(i) * (v - TARGET[i]).powi(2))
                    .sum();
                (
                    f,
                    x.iter()
                        .enumerate()
                        .map(|(i, v)| k(i) * (v - TARGET[i]))
                        .collect(),
                )
            }
            Problem::Rosenbrock => {
                let (a, b) = (x[0], x[1]);
                let f = (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2);
                (
                    f,
                    vec![
                        -2.0 * (1.0 - a) - 400.0 * a * (b - a * a),
                        200.0 * (b - a * a),
                    ],
                )
            }
        }
    }

    fn start(self) -> Vec<f64> {
        match self {
            Problem::Rosenbrock => vec![-1.2, 1.0],
            _ => vec![0.0; 4],
        }
    }

    /// (tolerance on f, step budget)
    fn goal(self) -> (f64, usize) {
        match self {
            Problem::Quadratic => (1e-4, 2000),
            Problem::IllConditioned => (1e-4, 3000),
            Problem::Rosenbrock => (1e-3, 20000),
        }
    }
}

/// Steps until f < tolerance, or None within the budget.
fn steps_to_converge(name: &str, hyper: &Hyper, p: Problem) -> Option<usize> {
    let mut opt = by_name::<f64>(name, hyper).unwrap();
    let x0 = p.start();
    let mut x = vec![Tensor::from_vec(&[x0.len()], x0).unwrap()];
    let (tol, budget) = p.goal();
    for step in 0..budget {
        let (f, g) = p.eval(x[0].as_slice());
        if f < tol {
            return Some(step);
        }
        let g = Tensor::from_vec(&[g.len()], g).unwrap();
        opt.step_tensors(&mut x, &[g]).unwrap();
    }
    None
}

fn h(json: &str) -> Hyper {
    serde_json::from_str(json).unwrap()
}

/// (optimizer, hyperparameters per problem: quadratic, ill-conditioned, Rosenbrock)
fn table() -> Vec<(&'static str, [&'static str; 3])> {
    vec![
        (
            "sgd",
            [
                r#"{"lr":0.1,"momentum":0.9,"nesterov":true}"#,
                r#"{"lr":0.0095,"momentum":0.9,"nesterov":true}"#,
                r#"{"lr":0.001,"momentum":0.9,"nesterov":true}"#,
            ],
        ),
        (
            "adagrad",
            [r#"{"lr":0.5}"#, r#"{"lr":0.5}"#, r#"{"lr":0.5}"#],
        ),
        (
            "adadelta",
            [
                r#"{"lr":1.0,"rho":0.9,"eps":1e-3}"#,
                r#"{"lr":1.0,"rho":0.9,"eps":1e-3}"#,
                r#"{"lr":0.001,"rho":0.9,"eps":1e-3}"#,
            ],
        ),
        (
            "rmsprop",
            [r#"{"lr":0.1}"#, r#"{"lr":0.1}"#, r#"{"lr":0.001}"#],
        ),
        (
            "adam",
            [r#"{"lr":0.05}"#, r#"{"lr":0.05}"#, r#"{"lr":0.05}"#],
        ),
        (
            "adamw",
            [
                r#"{"lr":0.05,"weight_decay":0.0}"#,
                r#"{"lr":0.05,"weight_decay":0.0}"#,
                r#"{"lr":0.05,"weight_decay":0.0}"#,
            ],
        ),
        (
            "nadam",
            [r#"{"lr":0.05}"#, r#"{"lr":0.05}"#, r#"{"lr":0.05}"#],
        ),
        (
            "radam",
            [r#"{"lr":0.05}"#, r#"{"lr":0.05}"#, r#"{"lr":0.003}"#],
        ),
        (
            "adamax",
            [r#"{"lr":0.05}"#, r#"{"lr":0.05}"#, r#"{"lr":0.05}"#],
        ),
        (
            "lion",
            [
                r#"{"lr":0.01,"weight_decay":0.0}"#,
                r#"{"lr":0.01,"weight_decay":0.0}"#,
                r#"{"lr":0.01,"weight_decay":0.0}"#,
            ],
        ),
        (
            "lamb",
            [r#"{"lr":0.01}"#, r#"{"lr":0.01}"#, r#"{"lr":0.01}"#],
        ),
    ]
}

#[test]
fn convergence_table() {
    let problems = [
        Problem::Quadratic,
        Problem::IllConditioned,
        Problem::Rosenbrock,
    ];
    let mut report = vec![];
    let mut failures = vec![];
    for (name, hypers) in table() {
        let mut row = format!("{name:9}");
        for (p, hj) in problems.iter().zip(hypers) {
            let steps = steps_to_converge(name, &h(hj), *p);
            row += &format!(" {:>8}", steps.map_or("-".to_string(), |s| s.to_string()));
            if steps.is_none() {
                failures.push(format!("{name} on {p:?} with {hj}"));
            }
        }
        report.push(row);
    }
    println!("{}", report.join("\n"));
    assert!(
        failures.is_empty(),
        "did not converge:\n{}\n{}",
        failures.join("\n"),
        report.join("\n")
    );
}
