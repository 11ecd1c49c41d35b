//! Losses against hand-computed values and their gradients; metrics on small tables.

use downhill::autograd::Tape;
use downhill::loss::one_hot;
use downhill::metrics::{ConfusionMatrix, accuracy, predictions, top_k_accuracy};
use downhill::{Loss, Tensor};

fn t(rows: usize, cols: usize, v: &[f64]) -> Tensor<f64> {
    Tensor::from_vec(&[rows, cols], v.to_vec()).unwrap()
}

/// The loss value and its gradient with respect to the logits.
fn loss_and_grad(loss: Loss, z: &Tensor<f64>, y: &[usize]) -> (f64, Vec<f64>) {
    let mut tape = Tape::<f64>::new();
    let zv = tape.input(z.clone());
    let l = loss.compute(&mut tape, zv, y).unwrap();
    let value = tape.value(l).unwrap().item().unwrap();
    tape.backward(l).unwrap();
    let g = tape.grad(zv).unwrap().unwrap().as_slice().to_vec();
    (value, g)
}

fn finite_difference(loss: Loss, z: &Tensor<f64>, y: &[usize]) -> Vec<f64> {
    let h = 1e-6;
    (0..z.len())
        .map(|i| {
            let mut plus = z.clone();
            plus.as_mut_slice()[i] += h;
            let mut minus = z.clone();
            minus.as_mut_slice()[i] -= h;
            (loss_and_grad(loss, &plus, y).0 - loss_and_grad(loss, &minus, y).0) / (2.0 * h)
        })
        .collect()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

fn logits() -> (Tensor<f64>, Vec<usize>) {
    (
        t(3, 3, &[1.0, 2.0, 3.0, 0.5, -1.0, 0.2, -0.3, 0.8, 0.1]),
        vec![2, 0, 1],
    )
}

fn log_softmax_row(row: &[f64]) -> Vec<f64> {
    let lse = row.iter().map(|v| v.exp()).sum::<f64>().ln();
    row.iter().map(|v| v - lse).collect()
}

#[test]
fn cross_entropy_matches_hand_computation() {
    let (z, y) = logits();
    let want: f64 = z
        .as_slice()
        .chunks(3)
        .zip(&y)
        .map(|(r, &c)| -log_softmax_row(r)[c])
        .sum::<f64>()
        / 3.0;
    let (got, _) = loss_and_grad(
        Loss::CrossEntropy {
            label_smoothing: 0.0,
        },
        &z,
        &y,
    );
    assert!(close(got, want, 1e-12), "{got} vs {want}");
    // log(e¹+e²+e³) − 3 for the first row alone.
    let (one, _) = loss_and_grad(Loss::default(), &t(1, 3, &[1.0, 2.0, 3.0]), &[2]);
    assert!(close(one, 0.407_605_964_444_380_1, 1e-12));
}

#[test]
fn label_smoothing_mixes_in_the_uniform_target() {
    let (z, y) = logits();
    let eps = 0.1;
    let want: f64 = z
        .as_slice()
        .chunks(3)
        .zip(&y)
        .map(|(r, &c)| {
            let ls = log_softmax_row(r);
            (1.0 - eps) * -ls[c] + eps * -ls.iter().sum::<f64>() / 3.0
        })
        .sum::<f64>()
        / 3.0;
    let loss = Loss::CrossEntropy {
        label_smoothing: eps,
    };
    let (got, g) = loss_and_grad(loss, &z, &y);
    assert!(close(got, want, 1e-12), "{got} vs {want}");
    for (a, b) in g.iter().zip(finite_difference(loss, &z, &y)) {
        assert!(close(*a, b, 1e-6), "{a} vs {b}");
    }
}

#[test]
fn mse_and_bce_against_one_hot_targets() {
    let (z, y) = logits();
    let target = one_hot::<f64>(&y, 3);
    assert_eq!(target.as_slice(), &[0., 0., 1., 1., 0., 0., 0., 1., 0.]);
    let mse: f64 = z
        .as_slice()
        .iter()
        .zip(target.as_slice())
        .map(|(a, b)| (a - b).powi(2))
        .sum::<f64>()
        / 9.0;
    let (got, _) = loss_and_grad(Loss::Mse, &z, &y);
    assert!(close(got, mse, 1e-12));
    let bce: f64 = z
        .as_slice()
        .iter()
        .zip(target.as_slice())
        .map(|(&a, &b)| {
            let p = 1.0 / (1.0 + (-a).exp());
            -(b * p.ln() + (1.0 - b) * (1.0 - p).ln())
        })
        .sum::<f64>()
        / 9.0;
    let (got, g) = loss_and_grad(Loss::BceWithLogits, &z, &y);
    assert!(close(got, bce, 1e-12), "{got} vs {bce}");
    for (a, b) in g.iter().zip(finite_difference(Loss::BceWithLogits, &z, &y)) {
        assert!(close(*a, b, 1e-6));
    }
}

#[test]
fn multiclass_hinge_is_the_lectures_svm_loss() {
    // CS231n's example: cat, car, frog scores for three images; losses 2.9, 0, 12.9.
    let z = t(3, 3, &[3.2, 5.1, -1.7, 1.3, 4.9, 2.0, 2.2, 2.5, -3.1]);
    let y = [0, 1, 2];
    let (got, g) = loss_and_grad(Loss::MultiHinge, &z, &y);
    assert!(close(got, (2.9 + 0.0 + 12.9) / 3.0, 1e-12), "{got}");
    // Gradient: +1/N for each violating j ≠ y, −(violations)/N at y.
    let n = 3.0;
    let want = [
        -1.0 / n,
        1.0 / n,
        0.0, // cat: only car violates (5.1 − 3.2 + 1 > 0)
        0.0,
        0.0,
        0.0, // car: no violation
        1.0 / n,
        1.0 / n,
        -2.0 / n, // frog: both violate
    ];
    for (a, b) in g.iter().zip(want) {
        assert!(close(*a, b, 1e-12), "{g:?}");
    }
}

#[test]
fn losses_reject_bad_labels_and_shapes() {
    for loss in [
        Loss::default(),
        Loss::Mse,
        Loss::BceWithLogits,
        Loss::MultiHinge,
    ] {
        let mut tape = Tape::<f64>::new();
        let z = tape.input(t(2, 3, &[0.0; 6]));
        let e = loss.compute(&mut tape, z, &[0, 3]).unwrap_err().to_string();
        assert!(e.contains("label 3") && e.contains("row 1"), "{e}");
        let e = loss.compute(&mut tape, z, &[0]).unwrap_err().to_string();
        assert!(e.contains("[2, 3]"), "{e}");
    }
    for name in Loss::NAMES {
        Loss::from_name(name).unwrap();
    }
    let e = Loss::from_name("hubert").unwrap_err().to_string();
    assert!(e.contains("hubert") && e.contains("cross_entropy"), "{e}");
}

#[test]
fn accuracy_top_k_and_ties() {
    let s = t(
        4,
        3,
        &[
            0.1, 0.7, 0.2, // pred 1
            0.5, 0.5, 0.0, // tie → 0
            0.2, 0.3, 0.5, // pred 2
            0.6, 0.3, 0.1, // pred 0
        ],
    );
    let y = [1, 1, 0, 2];
    assert_eq!(predictions(&s).unwrap(), [1, 0, 2, 0]);
    assert_eq!(accuracy(&s, &y).unwrap(), 0.25);
    // Top-2: row 0 yes, row 1 (1 ties 0, ranks second) yes, row 2 (0 is last) no, row 3 no.
    assert_eq!(top_k_accuracy(&s, &y, 2).unwrap(), 0.5);
    assert_eq!(top_k_accuracy(&s, &y, 3).unwrap(), 1.0);
    assert!(top_k_accuracy(&s, &y, 0).is_err());
    assert!(accuracy(&s, &y[..3]).is_err());
}

#[test]
fn metrics_reject_out_of_range_labels() {
    let s = t(2, 2, &[1.0, 0.0, 0.0, 1.0]);
    let e = accuracy(&s, &[0, 2]).unwrap_err().to_string();
    assert!(e.contains('2'), "{e}");
    assert!(top_k_accuracy(&s, &[5, 0], 1).is_err());
    assert!(ConfusionMatrix::from_scores(&s, &[0, 7]).is_err());
}

#[test]
fn confusion_matrix_counts_and_recall() {
    let s = t(
        5,
        3,
        &[
            1.0, 0.0, 0.0, // 0
            0.0, 1.0, 0.0, // 1
            0.0, 0.0, 1.0, // 2
            0.0, 1.0, 0.0, // 1
            1.0, 0.0, 0.0, // 0
        ],
    );
    let y = [0, 1, 1, 2, 0];
    let cm = ConfusionMatrix::from_scores(&s, &y).unwrap();
    assert_eq!(cm.counts, vec![vec![2, 0, 0], vec![0, 1, 1], vec![0, 1, 0]]);
    assert_eq!(cm.accuracy(), 0.6);
    assert_eq!(cm.recall(), vec![1.0, 0.5, 0.0]);
    assert_eq!(cm.accuracy(), accuracy(&s, &y).unwrap());
}
