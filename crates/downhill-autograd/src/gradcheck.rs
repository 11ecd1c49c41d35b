//! The gradient checker: central finite differences in f64 against backward.

use downhill_tensor::Tensor;

use crate::{AutogradError, Result, Tape, Var};

/// Settings of [`check_gradients`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GradCheckOptions {
    /// The finite-difference step `h` (default `1e-6`).
    pub step: f64,
    /// The largest acceptable error `|a − n| / max(1, |a|, |n|)` (default `1e-6`).
    pub tolerance: f64,
}

impl Default for GradCheckOptions {
    fn default() -> Self {
        Self {
            step: 1e-6,
            tolerance: 1e-6,
        }
    }
}

/// The outcome of a gradient check: the worst error per named input.
#[derive(Debug, Clone, PartialEq)]
pub struct GradCheckReport {
    /// `(input name, worst error, flat index of the worst element)` for every input.
    pub errors: Vec<(String, f64, usize)>,
}

impl GradCheckReport {
    /// The largest error over all inputs.
    pub fn max_error(&self) -> f64 {
        self.errors.iter().map(|e| e.1).fold(0.0, f64::max)
    }
}

/// Compares the gradients that backward computes for a scalar function `f` of named inputs with
/// central finite differences, element by element, in `f64`.
///
/// ```text
/// numeric_i = (f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h
/// error_i   = |analytic_i − numeric_i| / max(1, |analytic_i|, |numeric_i|)
/// ```
/// `f` receives a fresh tape and one [`Var`] per input (recorded with [`Tape::input`]) and must
/// return a single-element output. Parameters can be checked the same way: pass their values as
/// inputs.
///
/// ```
/// use downhill_autograd::{check_gradients, GradCheckOptions};
/// use downhill_tensor::Tensor;
///
/// let x = Tensor::from_vec(&[3], vec![0.3, -1.2, 2.0]).unwrap();
/// let report = check_gradients(&[("x", x)], GradCheckOptions::default(), |t, v| {
///     let y = t.tanh(v[0])?;
///     t.sum(y)
/// }).unwrap();
/// assert!(report.max_error() < 1e-6);
/// ```
///
/// # Errors
/// [`AutogradError::GradCheck`] naming the input and element whose error exceeds the tolerance;
/// any error `f` returns.
pub fn check_gradients<F>(
    inputs: &[(&str, Tensor<f64>)],
    options: GradCheckOptions,
    f: F,
) -> Result<GradCheckReport>
where
    F: Fn(&mut Tape<f64>, &[Var]) -> Result<Var>,
{
    let mut tape = Tape::<f64>::new();
    let analytic = analytic_grads(&mut tape, inputs, &f)?;
    let mut values: Vec<Tensor<f64>> = inputs.iter().map(|(_, t)| t.clone()).collect();
    let mut report = GradCheckReport { errors: Vec::new() };
    for (k, (name, _)) in inputs.iter().enumerate() {
        let mut worst = (0.0, 0usize, 0.0, 0.0);
        for e in 0..values[k].len() {
            let numeric = central_difference(&mut tape, &mut values, k, e, options.step, &f)?;
            let a = analytic[k].as_slice()[e];
            let err = (a - numeric).abs() / 1f64.max(a.abs()).max(numeric.abs());
            if err > worst.0 || err.is_nan() {
                worst = (err, e, a, numeric);
            }
        }
        if worst.0.is_nan() || worst.0 > options.tolerance {
            return Err(AutogradError::GradCheck {
                input: (*name).to_string(),
                index: worst.1,
                analytic: worst.2,
                numeric: worst.3,
                error: worst.0,
                tolerance: options.tolerance,
            });
        }
        report.errors.push(((*name).to_string(), worst.0, worst.1));
    }
    Ok(report)
}

fn analytic_grads<F>(
    tape: &mut Tape<f64>,
    inputs: &[(&str, Tensor<f64>)],
    f: &F,
) -> Result<Vec<Tensor<f64>>>
where
    F: Fn(&mut Tape<f64>, &[Var]) -> Result<Var>,
{
    tape.clear();
    let vars: Vec<Var> = inputs.iter().map(|(_, t)| tape.input(t.clone())).collect();
    let out = f(tape, &vars)?;
    tape.backward(out)?;
    vars.iter()
        .zip(inputs)
        .map(|(&v, (_, t))| {
            Ok(tape
                .grad(v)?
                .cloned()
                .unwrap_or_else(|| Tensor::zeros(t.shape())))
        })
        .collect()
}

fn evaluate<F>(tape: &mut Tape<f64>, values: &[Tensor<f64>], f: &F) -> Result<f64>
where
    F: Fn(&mut Tape<f64>, &[Var]) -> Result<Var>,
{
    tape.clear();
    let vars: Vec<Var> = values.iter().map(|t| tape.constant(t.clone())).collect();
    let out = f(tape, &vars)?;
    Ok(tape.value(out)?.item()?)
}

fn central_difference<F>(
    tape: &mut Tape<f64>,
    values: &mut [Tensor<f64>],
    k: usize,
    e: usize,
    h: f64,
    f: &F,
) -> Result<f64>
where
    F: Fn(&mut Tape<f64>, &[Var]) -> Result<Var>,
{
    let x0 = values[k].as_slice()[e];
    values[k].as_mut_slice()[e] = x0 + h;
    let fp = evaluate(tape, values, f)?;
    values[k].as_mut_slice()[e] = x0 - h;
    let fm = evaluate(tape, values, f)?;
    values[k].as_mut_slice()[e] = x0;
    Ok((fp - fm) / (2.0 * h))
}
