//! Malformed input to every tape entry point that takes user shapes, axes or indices gives an
//! error naming the op and the shapes, records nothing and does not panic.

use downhill_autograd::{AutogradError, Reduction, Tape, Var};
use downhill_tensor::{Tensor, TensorError};

fn tape_with(shapes: &[&[usize]]) -> (Tape<f64>, Vec<Var>) {
    let mut tape = Tape::new();
    let vars = shapes
        .iter()
        .map(|s| {
            tape.input(Tensor::from_fn(s, |ix| {
                ix.iter().sum::<usize>() as f64 + 1.0
            }))
        })
        .collect();
    (tape, vars)
}

/// Runs `f` on a tape holding inputs of `shapes`; it must fail with a message that starts with
/// `op` and contains every string in `parts`, and must record nothing.
#[track_caller]
fn rejects(
    shapes: &[&[usize]],
    op: &str,
    parts: &[&str],
    f: impl FnOnce(&mut Tape<f64>, &[Var]) -> Result<Var, AutogradError>,
) {
    let (mut tape, vars) = tape_with(shapes);
    let before = tape.len();
    let err = f(&mut tape, &vars).expect_err("malformed input must be an error");
    let msg = err.to_string();
    assert!(
        msg.starts_with(op),
        "message {msg:?} does not start with {op:?}"
    );
    for p in parts {
        assert!(msg.contains(p), "message {msg:?} does not mention {p:?}");
    }
    assert_eq!(tape.len(), before, "a failed op must record nothing");
}

#[test]
fn binary_arithmetic_with_shapes_that_do_not_broadcast() {
    let s: &[&[usize]] = &[&[2, 3], &[3, 2]];
    rejects(s, "add", &["[2, 3]", "[3, 2]"], |t, v| t.add(v[0], v[1]));
    rejects(s, "sub", &["[2, 3]", "[3, 2]"], |t, v| t.sub(v[0], v[1]));
    rejects(s, "mul", &["[2, 3]", "[3, 2]"], |t, v| t.mul(v[0], v[1]));
    rejects(s, "div", &["[2, 3]", "[3, 2]"], |t, v| t.div(v[0], v[1]));
    rejects(s, "maximum", &["[2, 3]", "[3, 2]"], |t, v| {
        t.maximum(v[0], v[1])
    });
}

#[test]
fn matmul_shapes() {
    rejects(&[&[2, 3], &[2, 3]], "matmul", &["[2, 3]"], |t, v| {
        t.matmul(v[0], v[1])
    });
    rejects(&[&[3], &[3, 2]], "matmul", &["[3]", "2-D"], |t, v| {
        t.matmul(v[0], v[1])
    });
    rejects(&[&[2, 3], &[3, 2, 1]], "matmul", &["[3, 2, 1]"], |t, v| {
        t.matmul(v[0], v[1])
    });
    use downhill_tensor::Transpose::{No, Yes};
    rejects(
        &[&[2, 3], &[3, 2]],
        "matmul",
        &["[2, 3]", "[2, 3]"],
        |t, v| t.matmul_t(v[0], No, v[1], Yes),
    );
    rejects(
        &[&[2, 3], &[3, 2]],
        "matmul",
        &["[3, 2]", "[3, 2]"],
        |t, v| t.matmul_t(v[0], Yes, v[1], No),
    );
}

#[test]
fn linear_shapes() {
    rejects(
        &[&[4, 3], &[2, 5]],
        "linear",
        &["[4, 3]", "[2, 5]"],
        |t, v| t.linear(v[0], v[1], None),
    );
    rejects(&[&[3], &[2, 3]], "linear", &["[3]", "[2, 3]"], |t, v| {
        t.linear(v[0], v[1], None)
    });
    rejects(&[&[4, 3], &[3]], "linear", &["[4, 3]", "[3]"], |t, v| {
        t.linear(v[0], v[1], None)
    });
    rejects(
        &[&[4, 3], &[2, 3], &[3]],
        "linear",
        &["[2, 3]", "[3]", "bias"],
        |t, v| t.linear(v[0], v[1], Some(v[2])),
    );
    rejects(
        &[&[4, 3], &[2, 3], &[1, 2]],
        "linear",
        &["[1, 2]"],
        |t, v| t.linear(v[0], v[1], Some(v[2])),
    );
}

#[test]
fn clamp_bounds() {
    rejects(&[&[2]], "clamp", &["lo <= hi"], |t, v| {
        t.clamp(v[0], 1.0, -1.0)
    });
    rejects(&[&[2]], "clamp", &[], |t, v| t.clamp(v[0], f64::NAN, 1.0));
}

#[test]
fn reduction_axes() {
    rejects(&[&[2, 3]], "sum_axes", &["axis 2", "[2, 3]"], |t, v| {
        t.sum_axes(v[0], &[2], false)
    });
    rejects(&[&[2, 3]], "mean_axes", &["axis 7", "[2, 3]"], |t, v| {
        t.mean_axes(v[0], &[0, 7], true)
    });
    rejects(&[&[2, 3]], "max_axes", &["axis 2", "[2, 3]"], |t, v| {
        t.max_axes(v[0], &[2], true)
    });
    rejects(&[&[2, 0]], "max_axes", &["[2, 0]"], |t, v| {
        t.max_axes(v[0], &[1], true)
    });
}

#[test]
fn shape_operations() {
    rejects(&[&[2, 3]], "reshape", &["[4, 2]", "6"], |t, v| {
        t.reshape(v[0], &[4, 2])
    });
    rejects(&[&[2, 3]], "reshape", &["overflow"], |t, v| {
        t.reshape(v[0], &[usize::MAX, 3])
    });
    rejects(
        &[&[2, 3, 4]],
        "permute",
        &["[0, 0, 1]", "[2, 3, 4]"],
        |t, v| t.permute(v[0], &[0, 0, 1]),
    );
    rejects(&[&[2, 3]], "permute", &["[1, 0, 2]", "[2, 3]"], |t, v| {
        t.permute(v[0], &[1, 0, 2])
    });
    rejects(&[&[2, 3, 4]], "transpose", &["[2, 3, 4]", "2-D"], |t, v| {
        t.transpose(v[0])
    });
    rejects(&[&[2, 3]], "slice", &["axis 2", "[2, 3]"], |t, v| {
        t.slice(v[0], 2, 0, 1)
    });
    rejects(&[&[2, 3]], "slice", &["2..4", "[2, 3]"], |t, v| {
        t.slice(v[0], 1, 2, 4)
    });
    rejects(&[&[2, 3]], "slice", &["2..1", "[2, 3]"], |t, v| {
        t.slice(v[0], 1, 2, 1)
    });
    rejects(&[], "concat", &["no inputs"], |t, _| t.concat(&[], 0));
    rejects(
        &[&[2, 3], &[2, 4]],
        "concat",
        &["[2, 3]", "[2, 4]", "axis 0"],
        |t, v| t.concat(v, 0),
    );
    rejects(
        &[&[2, 3], &[2, 3, 1]],
        "concat",
        &["[2, 3]", "[2, 3, 1]"],
        |t, v| t.concat(v, 1),
    );
    rejects(
        &[&[2, 3], &[2, 3]],
        "concat",
        &["axis 2", "[2, 3]"],
        |t, v| t.concat(v, 2),
    );
    rejects(&[&[2, 3]], "index_select", &["axis 2", "[2, 3]"], |t, v| {
        t.index_select(v[0], 2, &[0])
    });
    rejects(
        &[&[2, 3]],
        "index_select",
        &["index 3", "0..3", "position 1"],
        |t, v| t.index_select(v[0], 1, &[0, 3]),
    );
    rejects(&[&[2, 3]], "pick", &["[2, 3]", "N = 3"], |t, v| {
        t.pick(v[0], &[0, 1, 2])
    });
    rejects(&[&[6]], "pick", &["[6]"], |t, v| t.pick(v[0], &[0; 6]));
    rejects(&[&[2, 3]], "pick", &["index 5", "0..3"], |t, v| {
        t.pick(v[0], &[0, 5])
    });
}

#[test]
fn softmax_family_and_losses() {
    rejects(&[&[2, 3]], "softmax", &["axis 2", "[2, 3]"], |t, v| {
        t.softmax(v[0], 2)
    });
    rejects(&[&[2, 3]], "log_softmax", &["axis 5", "[2, 3]"], |t, v| {
        t.log_softmax(v[0], 5)
    });
    rejects(&[&[6]], "softmax_cross_entropy", &["[6]"], |t, v| {
        t.cross_entropy(v[0], &[0], Reduction::Mean)
    });
    rejects(
        &[&[2, 3]],
        "softmax_cross_entropy",
        &["[2, 3]", "[3]", "one label per row"],
        |t, v| t.cross_entropy(v[0], &[0, 1, 2], Reduction::Mean),
    );
    rejects(
        &[&[2, 3]],
        "softmax_cross_entropy",
        &["index 3", "0..3"],
        |t, v| t.cross_entropy(v[0], &[3, 0], Reduction::Sum),
    );
    rejects(
        &[&[2, 3]],
        "cross_entropy",
        &["label_smoothing", "1.5"],
        |t, v| t.cross_entropy_smoothed(v[0], &[0, 1], Reduction::Mean, 1.5),
    );
    rejects(&[&[2, 3]], "cross_entropy", &["label_smoothing"], |t, v| {
        t.cross_entropy_smoothed(v[0], &[0, 1], Reduction::Mean, -0.1)
    });
    rejects(&[&[2, 3], &[3, 2]], "mse", &["[2, 3]", "[3, 2]"], |t, v| {
        t.mse(v[0], v[1], Reduction::Mean)
    });
    rejects(&[&[2, 3], &[3]], "mse", &["[2, 3]", "[3]"], |t, v| {
        t.mse(v[0], v[1], Reduction::Sum)
    });
}

#[test]
fn errors_keep_their_kind() {
    let (mut tape, v) = tape_with(&[&[2, 3], &[3, 2]]);
    let e = tape.add(v[0], v[1]).unwrap_err();
    assert!(
        matches!(
            e,
            AutogradError::Tensor(TensorError::ShapeMismatch { op: "add", .. })
        ),
        "{e:?}"
    );
    let e = tape.sum_axes(v[0], &[3], false).unwrap_err();
    assert!(
        matches!(
            e,
            AutogradError::Tensor(TensorError::AxisOutOfRange { axis: 3, .. })
        ),
        "{e:?}"
    );
}

#[test]
fn gradient_checker_passes_errors_through() {
    use downhill_autograd::{GradCheckOptions, check_gradients};
    let x = Tensor::<f64>::zeros(&[2, 3]);
    // f returns a non-scalar: backward's error comes back
    let e = check_gradients(&[("x", x.clone())], GradCheckOptions::default(), |t, v| {
        t.exp(v[0])
    })
    .unwrap_err();
    assert!(matches!(e, AutogradError::NotScalar { .. }), "{e}");
    // f fails on shapes: its error comes back
    let e = check_gradients(&[("x", x)], GradCheckOptions::default(), |t, v| {
        t.matmul(v[0], v[0])
    })
    .unwrap_err();
    assert!(e.to_string().starts_with("matmul"), "{e}");
}
