//! Max-norm and non-negativity constraints.

use downhill_autograd::ParamStore;
use downhill_reg::{Constraint, MaxNorm, NonNeg, ParamFilter, RegError, UnitAxis};
use downhill_tensor::Tensor;
use proptest::prelude::*;

fn row_norms(w: &Tensor<f64>, per_row: usize) -> Vec<f64> {
    w.as_slice()
        .chunks(per_row)
        .map(|r| r.iter().map(|x| x * x).sum::<f64>().sqrt())
        .collect()
}

#[test]
fn rows_are_units_of_a_linear_weight() {
    let mut w = Tensor::from_vec(&[3, 2], vec![3.0, 4.0, 0.6, 0.8, 0.0, 0.0]).unwrap();
    MaxNorm::new(2.0, UnitAxis::Rows)
        .unwrap()
        .apply(&mut w)
        .unwrap();
    assert_eq!(w.as_slice(), &[1.2, 1.6, 0.6, 0.8, 0.0, 0.0]);
}

#[test]
fn columns_are_units_in_the_keras_layout() {
    let mut w = Tensor::<f64>::from_vec(&[2, 2], vec![3.0, 0.6, 4.0, 0.8]).unwrap();
    MaxNorm::new(1.0, UnitAxis::Columns)
        .unwrap()
        .apply(&mut w)
        .unwrap();
    let expected = [0.6f64, 0.6, 0.8, 0.8];
    assert!(
        w.as_slice()
            .iter()
            .zip(expected)
            .all(|(a, b)| (a - b).abs() < 1e-12)
    );
}

#[test]
fn conv_kernels_are_constrained_per_output_channel() {
    let mut w = Tensor::<f64>::full(&[2, 3, 2, 2], 1.0); // each filter has norm √12
    MaxNorm::new(1.0, UnitAxis::Rows)
        .unwrap()
        .apply(&mut w)
        .unwrap();
    for n in row_norms(&w, 12) {
        assert!((n - 1.0).abs() < 1e-12);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn after_max_norm_no_row_exceeds_the_radius_and_small_rows_are_kept(
        values in prop::collection::vec(-5.0f64..5.0, 12), c in 0.1f64..4.0,
    ) {
        let before = Tensor::from_vec(&[4, 3], values).unwrap();
        let mut w = before.clone();
        MaxNorm::new(c, UnitAxis::Rows).unwrap().apply(&mut w).unwrap();
        for (i, (n0, n1)) in row_norms(&before, 3).into_iter().zip(row_norms(&w, 3)).enumerate() {
            prop_assert!(n1 <= c * (1.0 + 1e-12));
            if n0 <= c {
                prop_assert_eq!(&w.as_slice()[i * 3..i * 3 + 3], &before.as_slice()[i * 3..i * 3 + 3]);
            }
        }
    }
}

#[test]
fn non_negativity_clamps() {
    let mut w = Tensor::<f64>::from_vec(&[2, 2], vec![-1.0, 2.0, -0.0, 0.5]).unwrap();
    NonNeg.apply(&mut w).unwrap();
    assert_eq!(w.as_slice(), &[0.0, 2.0, 0.0, 0.5]);
}

#[test]
fn errors_for_bad_shapes_radius_and_nan() {
    let m = MaxNorm::new(1.0, UnitAxis::Rows).unwrap();
    assert!(matches!(
        m.apply(&mut Tensor::<f64>::ones(&[3])),
        Err(RegError::InvalidShape { .. })
    ));
    let cols = MaxNorm::new(1.0, UnitAxis::Columns).unwrap();
    assert!(cols.apply(&mut Tensor::<f64>::ones(&[2, 2, 2])).is_err());
    assert!(MaxNorm::new(-1.0, UnitAxis::Rows).is_err());
    let mut w = Tensor::<f64>::from_vec(&[1, 2], vec![f64::NAN, 5.0]).unwrap();
    assert!(matches!(m.apply(&mut w), Err(RegError::NonFinite { .. })));
    assert_eq!(w.as_slice()[1], 5.0);
    assert!(NonNeg.apply(&mut w).is_err());
    assert_eq!(w.as_slice()[1], 5.0);
}

#[test]
fn constraint_over_a_store_respects_the_filter() {
    let mut s = ParamStore::<f32>::new();
    s.add("0.weight", Tensor::full(&[2, 2], -3.0)).unwrap();
    s.add("0.bias", Tensor::full(&[2], -3.0)).unwrap();
    Constraint::NonNeg(NonNeg)
        .apply_to_params(&mut s, &ParamFilter::default())
        .unwrap();
    let firsts: Vec<f32> = s.iter().map(|p| p.value.as_slice()[0]).collect();
    assert_eq!(firsts, [0.0, -3.0]);
    s.iter_mut().next().unwrap().value.as_mut_slice()[0] = f32::NAN;
    let err = Constraint::NonNeg(NonNeg)
        .apply_to_params(&mut s, &ParamFilter::All)
        .unwrap_err();
    assert!(err.to_string().contains("0.weight"), "{err}");
}

#[test]
fn constraint_config_round_trips() {
    for c in [
        Constraint::MaxNorm(MaxNorm::new(3.0, UnitAxis::Columns).unwrap()),
        Constraint::NonNeg(NonNeg),
    ] {
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<Constraint>(&json).unwrap(), c);
    }
    let c: Constraint = serde_json::from_str(r#"{"kind":"max_norm","max_norm":2.0}"#).unwrap();
    assert_eq!(
        c,
        Constraint::MaxNorm(MaxNorm::new(2.0, UnitAxis::Rows).unwrap())
    );
}
