//! Malformed input to every entry point that takes user shapes gives a clear error (naming the
//! operation and the shapes), never a panic.

use downhill_tensor::{Tensor, TensorError, Transpose, broadcast_shape};

fn t(shape: &[usize]) -> Tensor<f64> {
    Tensor::from_fn(shape, |ix| ix.iter().sum::<usize>() as f64 + 1.0)
}

/// The error's message names `op` and contains every string in `parts` (shapes, as `[2, 3]`).
#[track_caller]
fn assert_msg(err: TensorError, op: &str, parts: &[&str]) {
    let msg = err.to_string();
    assert!(
        msg.starts_with(op),
        "message {msg:?} does not start with the op {op:?}"
    );
    for p in parts {
        assert!(msg.contains(p), "message {msg:?} does not mention {p:?}");
    }
}

#[test]
fn from_vec_and_reshape_reject_wrong_lengths() {
    let e = Tensor::<f64>::from_vec(&[2, 3], vec![1.0; 5]).unwrap_err();
    assert!(matches!(
        e,
        TensorError::LengthMismatch {
            len: 5,
            expected: 6,
            ..
        }
    ));
    assert_msg(e, "from_vec", &["[2, 3]", "5", "6"]);
    assert_msg(
        t(&[2, 3]).reshape(&[4, 2]).unwrap_err(),
        "reshape",
        &["[4, 2]", "6", "8"],
    );
    assert_msg(t(&[2, 3]).reshaped(&[7]).unwrap_err(), "reshape", &["[7]"]);
}

#[test]
fn overflowing_shapes_are_errors_not_panics() {
    let big = [usize::MAX, 2];
    assert_msg(
        Tensor::<f64>::from_vec(&big, vec![]).unwrap_err(),
        "from_vec",
        &["overflow"],
    );
    assert_msg(t(&[2]).reshape(&big).unwrap_err(), "reshape", &["overflow"]);
}

#[test]
fn item_of_many_elements() {
    assert_msg(t(&[2, 3]).item().unwrap_err(), "item", &["[2, 3]"]);
    assert!(t(&[0]).item().is_err());
}

#[test]
fn binary_ops_reject_incompatible_shapes() {
    let (a, b) = (t(&[2, 3]), t(&[3, 2]));
    assert_msg(a.add(&b).unwrap_err(), "add", &["[2, 3]", "[3, 2]"]);
    assert_msg(a.sub(&b).unwrap_err(), "sub", &["[2, 3]", "[3, 2]"]);
    assert_msg(a.mul(&b).unwrap_err(), "mul", &["[2, 3]", "[3, 2]"]);
    assert_msg(a.div(&b).unwrap_err(), "div", &["[2, 3]", "[3, 2]"]);
    assert_msg(a.maximum(&b).unwrap_err(), "maximum", &["[2, 3]", "[3, 2]"]);
    assert_msg(a.minimum(&b).unwrap_err(), "minimum", &["[2, 3]", "[3, 2]"]);
    assert_msg(
        broadcast_shape("op", &[4], &[5]).unwrap_err(),
        "op",
        &["[4]", "[5]"],
    );
}

#[test]
fn in_place_ops_reject_shapes_that_would_grow_the_left_operand_and_leave_it_untouched() {
    let mut a = t(&[3]);
    let before = a.clone();
    assert_msg(
        a.add_assign(&t(&[2, 3])).unwrap_err(),
        "add",
        &["[3]", "[2, 3]"],
    );
    assert_msg(a.sub_assign(&t(&[4])).unwrap_err(), "sub", &["[3]", "[4]"]);
    assert_msg(
        a.mul_assign(&t(&[2, 1])).unwrap_err(),
        "mul",
        &["[3]", "[2, 1]"],
    );
    assert_msg(a.div_assign(&t(&[2])).unwrap_err(), "div", &["[3]", "[2]"]);
    assert_msg(
        a.scaled_add(1.0, &t(&[1])).unwrap_err(),
        "scaled_add",
        &["[3]", "[1]"],
    );
    assert_msg(
        a.assign(&t(&[1, 3])).unwrap_err(),
        "assign",
        &["[3]", "[1, 3]"],
    );
    assert_msg(
        a.max_abs_diff(&t(&[4])).unwrap_err(),
        "max_abs_diff",
        &["[3]", "[4]"],
    );
    assert_eq!(a, before);
}

#[test]
fn sum_to_shape_rejects_targets_that_do_not_broadcast_to_the_gradient() {
    let g = t(&[2, 3]);
    assert_msg(
        g.sum_to_shape(&[2]).unwrap_err(),
        "sum_to_shape",
        &["[2, 3]", "[2]"],
    );
    assert_msg(
        g.sum_to_shape(&[4, 2, 3]).unwrap_err(),
        "sum_to_shape",
        &["[2, 3]", "[4, 2, 3]"],
    );
}

#[test]
fn matmul_rejects_non_matrices_and_mismatched_inner_dimensions() {
    let (a, b) = (t(&[2, 3]), t(&[2, 3]));
    assert_msg(a.matmul(&b).unwrap_err(), "matmul", &["[2, 3]", "[2, 3]"]);
    assert_msg(t(&[3]).matmul(&b).unwrap_err(), "matmul", &["[3]", "2-D"]);
    assert_msg(
        a.matmul(&t(&[3, 1, 1])).unwrap_err(),
        "matmul",
        &["[3, 1, 1]"],
    );
    assert_msg(
        a.matmul_t(Transpose::Yes, &t(&[3, 2]), Transpose::No)
            .unwrap_err(),
        "matmul",
        &["[3, 2]", "[3, 2]", "after any transpose"],
    );
    assert!(a.matmul_t(Transpose::No, &b, Transpose::Yes).is_ok());
}

#[test]
fn gemm_rejects_bad_operands_and_outputs_and_leaves_the_output_untouched() {
    use Transpose::No;
    let (a, b) = (t(&[2, 3]), t(&[3, 4]));
    let mut c = t(&[2, 5]);
    let before = c.clone();
    assert_msg(
        c.gemm(1.0, &a, No, &b, No, 1.0).unwrap_err(),
        "gemm",
        &["[2, 5]", "[2, 4]"],
    );
    assert_msg(
        c.gemm(1.0, &a, No, &a, No, 1.0).unwrap_err(),
        "gemm",
        &["[2, 3]"],
    );
    assert_msg(
        c.gemm(1.0, &t(&[6]), No, &b, No, 1.0).unwrap_err(),
        "gemm",
        &["[6]"],
    );
    let mut c3 = t(&[2, 4, 1]);
    assert_msg(
        c3.gemm(1.0, &a, No, &b, No, 1.0).unwrap_err(),
        "gemm",
        &["[2, 4, 1]"],
    );
    assert_eq!(c, before);
}

#[test]
fn reductions_reject_bad_axes() {
    let a = t(&[2, 3]);
    assert_msg(
        a.sum_axes(&[2], false).unwrap_err(),
        "sum_axes",
        &["axis 2", "[2, 3]"],
    );
    assert_msg(
        a.mean_axes(&[0, 5], true).unwrap_err(),
        "mean_axes",
        &["axis 5", "[2, 3]"],
    );
    assert_msg(
        a.max_axes(&[9], true).unwrap_err(),
        "max_axes",
        &["axis 9", "[2, 3]"],
    );
    assert_msg(a.argmax(2).unwrap_err(), "argmax", &["axis 2", "[2, 3]"]);
    assert_msg(
        t(&[2, 0]).max_axes(&[1], false).unwrap_err(),
        "max_axes",
        &["[2, 0]", "empty"],
    );
    assert_msg(t(&[0, 2]).argmax(0).unwrap_err(), "argmax", &["[0, 2]"]);
}

#[test]
fn clamp_rejects_inverted_or_nan_bounds() {
    let mut a = t(&[2]);
    let before = a.clone();
    assert_msg(a.clamp(1.0, 0.0).unwrap_err(), "clamp", &["1, 0"]);
    assert!(a.clamp(f64::NAN, 0.0).is_err());
    assert!(a.clamp_inplace(0.0, f64::NAN).is_err());
    assert_eq!(a, before);
}

#[test]
fn softmax_family_rejects_bad_axes_shapes_and_labels() {
    let z = t(&[2, 3]);
    assert_msg(z.softmax(2).unwrap_err(), "softmax", &["axis 2", "[2, 3]"]);
    assert_msg(
        z.log_softmax(3).unwrap_err(),
        "log_softmax",
        &["axis 3", "[2, 3]"],
    );
    assert_msg(
        t(&[6]).softmax_cross_entropy(&[0]).unwrap_err(),
        "softmax_cross_entropy",
        &["[6]"],
    );
    assert_msg(
        t(&[2, 0]).softmax_cross_entropy(&[0, 0]).unwrap_err(),
        "softmax_cross_entropy",
        &["[2, 0]"],
    );
    assert_msg(
        z.softmax_cross_entropy(&[0]).unwrap_err(),
        "softmax_cross_entropy",
        &["[2, 3]", "[1]"],
    );
    let e = z.softmax_cross_entropy(&[0, 3]).unwrap_err();
    assert!(matches!(
        e,
        TensorError::IndexOutOfRange {
            index: 3,
            bound: 3,
            position: 1,
            ..
        }
    ));
    assert_msg(e, "softmax_cross_entropy", &["3", "0..3"]);
}
