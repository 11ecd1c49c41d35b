//! The tape's mechanics: iterative backward, accumulation, no-grad, detach, parameters,
//! clearing and reuse, handle checks, seeds and custom ops.

use downhill_autograd::{AutogradError, CustomOp, ParamStore, Reduction, Result, Tape};
use downhill_tensor::Tensor;

fn v(data: &[f64]) -> Tensor<f64> {
    Tensor::from_vec(&[data.len()], data.to_vec()).unwrap()
}

#[test]
fn a_chain_of_10000_ops_backwards_without_stack_overflow() {
    // A small stack (256 KiB) makes a recursive backward (or a recursive drop) overflow.
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let mut tape = Tape::<f64>::new();
            let x = tape.input(v(&[1.0, 2.0]));
            let mut y = x;
            for k in 0..10_000 {
                y = if k % 2 == 0 {
                    tape.add(y, x).unwrap()
                } else {
                    tape.scale(y, 1.0).unwrap()
                };
            }
            let s = tape.sum(y).unwrap();
            tape.backward(s).unwrap();
            assert_eq!(tape.len(), 10_002);
            let g = tape.grad(x).unwrap().unwrap().clone();
            drop(tape);
            g
        })
        .unwrap();
    assert_eq!(handle.join().unwrap().as_slice(), &[5001.0, 5001.0]);
}

#[test]
fn gradients_accumulate_over_uses_and_over_backward_passes() {
    let mut tape = Tape::<f64>::new();
    let w = tape.params_mut().add("w", v(&[3.0])).unwrap();
    let x = tape.input(v(&[2.0]));
    let (w1, w2) = (tape.param(w).unwrap(), tape.param(w).unwrap());
    let a = tape.mul(w1, x).unwrap(); // w·x
    let b = tape.mul(w2, w1).unwrap(); // w²
    let s = tape.add(a, b).unwrap();
    let l = tape.sum(s).unwrap();
    tape.backward(l).unwrap();
    // ∂/∂w (wx + w²) = x + 2w = 8, ∂/∂x = w = 3
    assert_eq!(
        tape.params().get(w).unwrap().grad().unwrap().as_slice(),
        &[8.0]
    );
    assert_eq!(tape.grad(x).unwrap().unwrap().as_slice(), &[3.0]);
    // a second backward over the same recording adds to both
    tape.backward(l).unwrap();
    assert_eq!(
        tape.params().get(w).unwrap().grad().unwrap().as_slice(),
        &[16.0]
    );
    assert_eq!(tape.grad(x).unwrap().unwrap().as_slice(), &[6.0]);
    // and across steps, parameters keep accumulating until zero_grad
    tape.clear();
    let w1 = tape.param(w).unwrap();
    let l = tape.sum(w1).unwrap();
    tape.backward(l).unwrap();
    assert_eq!(tape.params().get(w).unwrap().grad.as_slice(), &[17.0]);
    tape.params_mut().zero_grad();
    let p = tape.params().get(w).unwrap();
    assert!(p.grad().is_none() && !p.has_grad);
    assert_eq!(p.grad.as_slice(), &[0.0]);
    tape.backward(l).unwrap();
    assert_eq!(
        tape.params().get(w).unwrap().grad().unwrap().as_slice(),
        &[1.0]
    );
}

#[test]
fn backward_from_a_leaf_seeds_it() {
    let mut tape = Tape::<f64>::new();
    let x = tape.input(v(&[4.0]));
    tape.backward(x).unwrap();
    tape.backward(x).unwrap();
    assert_eq!(tape.grad(x).unwrap().unwrap().as_slice(), &[2.0]);
}

#[test]
fn no_grad_records_constants_and_restores_the_setting() {
    let mut tape = Tape::<f64>::new();
    let w = tape.params_mut().add("w", v(&[2.0])).unwrap();
    let x = tape.input(v(&[3.0]));
    assert!(tape.grad_enabled());
    let y = tape.no_grad(|t| {
        assert!(!t.grad_enabled());
        let wv = t.param(w).unwrap();
        let p = t.mul(wv, x).unwrap();
        t.sum(p).unwrap()
    });
    assert!(tape.grad_enabled());
    assert_eq!(tape.value(y).unwrap().item().unwrap(), 6.0);
    assert!(!tape.requires_grad(y).unwrap());
    tape.backward(y).unwrap(); // a constant: nothing to do
    assert!(tape.params().get(w).unwrap().grad().is_none());
    assert!(tape.grad(x).unwrap().is_none());
    // the result is a constant to later ops
    let z = tape.mul(y, x).unwrap();
    let l = tape.sum(z).unwrap();
    tape.backward(l).unwrap();
    assert_eq!(tape.grad(x).unwrap().unwrap().as_slice(), &[6.0]);
    assert!(tape.params().get(w).unwrap().grad().is_none());
    // the explicit switch
    assert!(tape.set_grad_enabled(false));
    let i = tape.input(v(&[1.0]));
    assert!(!tape.requires_grad(i).unwrap());
    assert!(!tape.set_grad_enabled(true));
}

#[test]
fn detach_stops_the_gradient() {
    let mut tape = Tape::<f64>::new();
    let x = tape.input(v(&[3.0]));
    let y = tape.mul(x, x).unwrap();
    let d = tape.detach(y).unwrap();
    assert!(!tape.requires_grad(d).unwrap());
    assert_eq!(tape.value(d).unwrap(), tape.value(y).unwrap());
    let z = tape.mul(d, x).unwrap(); // x²(detached)·x: gradient x² = 9, not 3x² = 27
    let l = tape.sum(z).unwrap();
    tape.backward(l).unwrap();
    assert_eq!(tape.grad(x).unwrap().unwrap().as_slice(), &[9.0]);
}

#[test]
fn constants_get_no_gradient() {
    let mut tape = Tape::<f64>::new();
    let c = tape.constant(v(&[1.0, 2.0]));
    let x = tape.input(v(&[3.0, 4.0]));
    let p = tape.mul(c, x).unwrap();
    let l = tape.sum(p).unwrap();
    tape.backward(l).unwrap();
    assert!(!tape.requires_grad(c).unwrap());
    assert!(tape.grad(c).unwrap().is_none());
    assert!(
        tape.grad(p).unwrap().is_none(),
        "intermediate gradients are not kept"
    );
    assert_eq!(tape.grad(x).unwrap().unwrap().as_slice(), &[1.0, 2.0]);
}

#[test]
fn parameters_are_named_and_ordered() {
    let mut store = ParamStore::<f32>::new();
    assert!(store.is_empty());
    let a = store.add("0.weight", Tensor::zeros(&[2, 3])).unwrap();
    let b = store.add("0.bias", Tensor::zeros(&[2])).unwrap();
    assert_eq!((store.len(), store.num_elements()), (2, 8));
    assert_eq!(store.find("0.bias"), Some(b));
    assert_eq!(store.find("nope"), None);
    assert_eq!((a.index(), b.index()), (0, 1));
    assert_eq!(store.ids().collect::<Vec<_>>(), vec![a, b]);
    let names: Vec<&str> = store.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["0.weight", "0.bias"]);
    let e = store.add("0.bias", Tensor::zeros(&[1])).unwrap_err();
    assert!(matches!(e, AutogradError::DuplicateParam(ref n) if n == "0.bias"));
    assert!(e.to_string().contains("0.bias"));
    assert_eq!(store.len(), 2);
    store.get_mut(a).unwrap().value.fill(1.0);
    let mut tape = Tape::with_params(store);
    let wv = tape.param(a).unwrap();
    assert_eq!(tape.value(wv).unwrap().sum(), 6.0);
    let store = tape.into_params();
    assert_eq!(store.get(a).unwrap().value.sum(), 6.0);
}

#[test]
fn the_tape_is_reused_across_steps() {
    // three steps of gradient descent on (w − 3)², clearing between steps
    let mut tape = Tape::<f64>::new();
    let w = tape.params_mut().add("w", v(&[0.0])).unwrap();
    let target = v(&[3.0]);
    let mut losses = vec![];
    let mut fresh_first = None;
    for step in 0..3 {
        tape.clear();
        assert!(tape.is_empty());
        let wv = tape.param(w).unwrap();
        let t = tape.constant(target.clone());
        let loss = tape.mse(wv, t, Reduction::Sum).unwrap();
        tape.backward(loss).unwrap();
        losses.push(tape.value(loss).unwrap().item().unwrap());
        let p = tape.params_mut().get_mut(w).unwrap();
        let g = p.grad.clone();
        if step == 0 {
            fresh_first = Some(g.as_slice()[0]);
        }
        p.value.scaled_add(-0.25, &g).unwrap();
        tape.params_mut().zero_grad();
    }
    // w: 0 → 1.5 → 2.25 → …; loss 9, 2.25, 0.5625
    assert_eq!(losses, vec![9.0, 2.25, 0.5625]);
    assert_eq!(fresh_first, Some(-6.0));
}

#[test]
fn handles_from_another_tape_or_before_a_clear_are_errors() {
    let mut a = Tape::<f64>::new();
    let mut b = Tape::<f64>::new();
    let xa = a.input(v(&[1.0]));
    let xb = b.input(v(&[1.0]));
    let e = b.add(xa, xb).unwrap_err();
    assert!(
        matches!(e, AutogradError::WrongTape { op: "add", .. }),
        "{e}"
    );
    assert!(e.to_string().contains("another tape"));
    assert!(matches!(b.value(xa), Err(AutogradError::WrongTape { .. })));
    assert!(matches!(b.grad(xa), Err(AutogradError::WrongTape { .. })));
    assert!(matches!(
        b.backward(xa),
        Err(AutogradError::WrongTape { .. })
    ));
    assert!(matches!(
        b.transpose(xa),
        Err(AutogradError::WrongTape {
            op: "transpose",
            ..
        })
    ));
    assert_eq!(b.len(), 1, "a failed op records nothing");
    a.clear();
    let e = a.exp(xa).unwrap_err();
    assert!(matches!(e, AutogradError::StaleHandle { op: "exp" }), "{e}");
    assert!(e.to_string().contains("stale"));
    // a new handle at the same index after the clear is valid, the old one still is not
    let ya = a.input(v(&[2.0]));
    assert_eq!(ya.index(), xa.index());
    assert!(a.value(ya).is_ok());
    assert!(a.value(xa).is_err());
}

#[test]
fn backward_from_a_non_scalar_needs_a_seed() {
    let mut tape = Tape::<f64>::new();
    let x = tape.input(v(&[1.0, 2.0, 3.0]));
    let y = tape.scale(x, 2.0).unwrap();
    let e = tape.backward(y).unwrap_err();
    assert!(matches!(e, AutogradError::NotScalar { ref shape } if shape == &[3]));
    assert!(e.to_string().contains("[3]") && e.to_string().contains("backward"));
    assert!(tape.grad(x).unwrap().is_none());
    let e = tape.backward_with_seed(y, v(&[1.0, 1.0])).unwrap_err();
    assert!(matches!(e, AutogradError::GradShape { .. }));
    assert!(
        e.to_string().contains("[2]") && e.to_string().contains("[3]"),
        "{e}"
    );
    tape.backward_with_seed(y, v(&[1.0, 0.5, -1.0])).unwrap();
    assert_eq!(tape.grad(x).unwrap().unwrap().as_slice(), &[2.0, 1.0, -2.0]);
    // a shape-[1] output needs no seed
    let s = tape.sum(y).unwrap();
    let s1 = tape.reshape(s, &[1]).unwrap();
    assert!(tape.backward(s1).is_ok());
}

#[test]
fn custom_op_errors_stop_backward_with_a_message() {
    struct Bad(usize, Vec<usize>);
    impl CustomOp<f64> for Bad {
        fn name(&self) -> &str {
            "bad_op"
        }
        fn backward(
            &self,
            _i: &[&Tensor<f64>],
            _o: &Tensor<f64>,
            _g: &Tensor<f64>,
        ) -> Result<Vec<Option<Tensor<f64>>>> {
            Ok(vec![Some(Tensor::zeros(&self.1)); self.0])
        }
    }
    for (count, shape, needle) in [
        (2, vec![2], "2 gradients for 1 inputs"),
        (1, vec![3], "[3]"),
    ] {
        let mut tape = Tape::<f64>::new();
        let x = tape.input(v(&[1.0, 2.0]));
        let y = tape
            .custom(&[x], v(&[0.0, 0.0]), Box::new(Bad(count, shape)))
            .unwrap();
        let l = tape.sum(y).unwrap();
        let e = tape.backward(l).unwrap_err().to_string();
        assert!(e.contains("bad_op") && e.contains(needle), "{e}");
    }
    // a custom op returning None for an input leaves it without gradient
    struct Skip;
    impl CustomOp<f64> for Skip {
        fn name(&self) -> &str {
            "skip"
        }
        fn backward(
            &self,
            _i: &[&Tensor<f64>],
            _o: &Tensor<f64>,
            _g: &Tensor<f64>,
        ) -> Result<Vec<Option<Tensor<f64>>>> {
            Ok(vec![None])
        }
    }
    let mut tape = Tape::<f64>::new();
    let x = tape.input(v(&[1.0]));
    let y = tape.custom(&[x], v(&[5.0]), Box::new(Skip)).unwrap();
    tape.backward(y).unwrap();
    assert!(tape.grad(x).unwrap().is_none());
}

#[test]
fn unknown_parameter_ids_are_errors() {
    let mut other = ParamStore::<f64>::new();
    other.add("a", v(&[1.0])).unwrap();
    let id = other.add("b", v(&[1.0])).unwrap();
    let mut tape = Tape::<f64>::new();
    let e = tape.param(id).unwrap_err();
    assert!(matches!(e, AutogradError::UnknownParam(_)));
    assert!(e.to_string().contains("#1"));
    assert!(tape.params().get(id).is_err());
    assert!(tape.params_mut().get_mut(id).is_err());
    assert!(tape.is_empty());
}
