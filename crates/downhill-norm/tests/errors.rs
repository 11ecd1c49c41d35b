//! Bad input gives clear errors (not panics) and leaves state untouched.

use downhill_autograd::Tape;
use downhill_norm::{
    BatchNorm, BatchNormConfig, LayerNorm, LayerNormConfig, Mode, NormError, Scaling, Standardizer,
};
use downhill_tensor::Tensor;

fn bn1d(c: usize, tape: &mut Tape<f64>) -> BatchNorm<f64> {
    BatchNorm::new_1d(BatchNormConfig::new(c), tape.params_mut(), "").unwrap()
}

#[test]
fn wrong_rank_is_an_error_naming_the_shape() {
    let mut tape = Tape::<f64>::new();
    let mut bn = bn1d(3, &mut tape);
    let x = tape.input(Tensor::zeros(&[2, 3, 2, 2]));
    let err = bn.forward(&mut tape, x, Mode::Train).unwrap_err();
    assert!(matches!(err, NormError::Rank { .. }), "{err}");
    assert!(err.to_string().contains("BatchNorm1d") && err.to_string().contains("[2, 3, 2, 2]"));
    let mut bn2 = BatchNorm::new_2d(BatchNormConfig::new(3), tape.params_mut(), "b2.").unwrap();
    let v = tape.input(Tensor::zeros(&[4, 3]));
    let err = bn2.forward(&mut tape, v, Mode::Train).unwrap_err();
    assert!(
        err.to_string().contains("BatchNorm2d") && err.to_string().contains("[4, 3]"),
        "{err}"
    );
    let mut any = BatchNorm::new(BatchNormConfig::new(3), tape.params_mut(), "any.").unwrap();
    let s = tape.input(Tensor::zeros(&[3]));
    assert!(matches!(
        any.forward(&mut tape, s, Mode::Train),
        Err(NormError::Rank { .. })
    ));
}

#[test]
fn wrong_channel_count_names_expected_and_actual_shapes() {
    let mut tape = Tape::<f64>::new();
    let mut bn = bn1d(4, &mut tape);
    let x = tape.input(Tensor::ones(&[8, 3]));
    let err = bn
        .forward(&mut tape, x, Mode::Train)
        .unwrap_err()
        .to_string();
    assert!(err.contains("[N, 4, *]") && err.contains("[8, 3]"), "{err}");
    assert_eq!(bn.num_batches_tracked(), Some(0), "state untouched");
    let ln = LayerNorm::new(LayerNormConfig::new(&[3, 4]), tape.params_mut(), "ln.").unwrap();
    let y = tape.input(Tensor::ones(&[2, 4, 3]));
    let err = ln.forward(&mut tape, y).unwrap_err().to_string();
    assert!(
        err.contains("LayerNorm") && err.contains("[*, 3, 4]") && err.contains("[2, 4, 3]"),
        "{err}"
    );
}

#[test]
fn one_value_per_channel_in_training_is_pytorchs_error() {
    let mut tape = Tape::<f64>::new();
    let mut bn = bn1d(2, &mut tape);
    let x = tape.input(Tensor::ones(&[1, 2]));
    let err = bn.forward(&mut tape, x, Mode::Train).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Expected more than 1 value per channel when training, got input size [1, 2]"
    );
    assert_eq!(
        bn.running_mean().unwrap().as_slice(),
        &[0.0, 0.0],
        "state untouched"
    );
    assert_eq!(bn.num_batches_tracked(), Some(0));
    // [1, C, 1] too; but [1, C, 2] has two values per channel, and eval needs none.
    let x3 = tape.input(Tensor::ones(&[1, 2, 1]));
    assert!(matches!(
        bn.forward(&mut tape, x3, Mode::Train),
        Err(NormError::OneValuePerChannel { .. })
    ));
    let ok = tape.input(Tensor::ones(&[1, 2, 2]));
    assert!(bn.forward(&mut tape, ok, Mode::Train).is_ok());
    assert!(bn.forward(&mut tape, x, Mode::Eval).is_ok());
    // Without running statistics, evaluation uses batch statistics: the same error.
    let config = BatchNormConfig {
        track_running_stats: false,
        ..BatchNormConfig::new(2)
    };
    let mut nt = BatchNorm::new_1d(config, tape.params_mut(), "nt.").unwrap();
    assert!(matches!(
        nt.forward(&mut tape, x, Mode::Eval),
        Err(NormError::OneValuePerChannel { .. })
    ));
}

#[test]
fn invalid_hyperparameters_are_errors() {
    let mut tape = Tape::<f64>::new();
    let base = BatchNormConfig::new(3);
    for bad in [
        BatchNormConfig { eps: -1e-5, ..base },
        BatchNormConfig {
            eps: f64::NAN,
            ..base
        },
        BatchNormConfig {
            momentum: Some(-0.1),
            ..base
        },
        BatchNormConfig {
            momentum: Some(1.5),
            ..base
        },
        BatchNormConfig {
            momentum: Some(f64::NAN),
            ..base
        },
        BatchNormConfig {
            num_features: 0,
            ..base
        },
    ] {
        let err = BatchNorm::<f64>::new(bad, tape.params_mut(), "").unwrap_err();
        assert!(matches!(err, NormError::InvalidConfig { .. }), "{err}");
    }
    assert!(
        tape.params().is_empty(),
        "nothing registered by a rejected config"
    );
    for ok in [0.0, 1.0] {
        assert!(
            BatchNormConfig {
                momentum: Some(ok),
                ..base
            }
            .validate()
            .is_ok()
        );
    }
    let err = BatchNormConfig { eps: -1.0, ..base }
        .validate()
        .unwrap_err()
        .to_string();
    assert!(err.contains("eps") && err.contains("-1"), "{err}");
    let ln_bad = LayerNormConfig {
        eps: -0.5,
        ..LayerNormConfig::new(&[2])
    };
    assert!(LayerNorm::<f64>::new(ln_bad, tape.params_mut(), "").is_err());
    assert!(LayerNorm::<f64>::new(LayerNormConfig::new(&[]), tape.params_mut(), "").is_err());
    assert!(LayerNorm::<f64>::new(LayerNormConfig::new(&[2, 0]), tape.params_mut(), "").is_err());
}

#[test]
fn duplicate_parameter_names_are_errors() {
    let mut tape = Tape::<f64>::new();
    bn1d(2, &mut tape);
    let err = BatchNorm::<f64>::new(BatchNormConfig::new(2), tape.params_mut(), "").unwrap_err();
    assert!(err.to_string().contains("weight"), "{err}");
}

#[test]
fn buffer_loading_checks_names_and_shapes() {
    let mut tape = Tape::<f64>::new();
    let mut bn = BatchNorm::new_1d(BatchNormConfig::new(3), tape.params_mut(), "0.").unwrap();
    let err = bn
        .set_running_mean(&Tensor::zeros(&[4]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("0.running_mean") && err.contains("[3]") && err.contains("[4]"),
        "{err}"
    );
    assert!(
        bn.load_buffer("0.running_std", &Tensor::zeros(&[3]))
            .is_err()
    );
    assert!(
        bn.load_buffer("running_var", &Tensor::zeros(&[3])).is_err(),
        "prefix required"
    );
    bn.load_buffer("0.running_var", &Tensor::full(&[3], 2.0))
        .unwrap();
    assert_eq!(bn.running_var().unwrap().as_slice(), &[2.0; 3]);
    bn.set_num_batches_tracked(7).unwrap();
    assert_eq!(bn.num_batches_tracked(), Some(7));
    let config = BatchNormConfig {
        track_running_stats: false,
        ..BatchNormConfig::new(3)
    };
    let mut nt = BatchNorm::<f64>::new_1d(config, tape.params_mut(), "1.").unwrap();
    assert!(nt.set_running_mean(&Tensor::zeros(&[3])).is_err());
    assert!(nt.buffers_mut().is_empty());
}

#[test]
fn standardizer_rejects_non_finite_input_naming_row_and_column() {
    let mut data = vec![1.0f32; 12];
    data[7] = f32::NAN; // row 2, column 1 of [4, 3]
    let x = Tensor::from_vec(&[4, 3], data).unwrap();
    let err = Standardizer::fit(Scaling::Standard, &x).unwrap_err();
    assert!(
        matches!(
            err,
            NormError::NonFinite {
                row: 2,
                column: 1,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("row 2, column 1"), "{err}");
    let good = Tensor::from_vec(&[2, 3], vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
    let s = Standardizer::fit(Scaling::MinMax, &good).unwrap();
    let mut bad = good.clone();
    bad.as_mut_slice()[5] = f32::INFINITY;
    let err = s.transform(&bad).unwrap_err().to_string();
    assert!(err.contains("row 1, column 2"), "{err}");
    assert!(s.inverse_transform(&bad).is_err());
}

#[test]
fn standardizer_rejects_wrong_shapes() {
    let good = Tensor::from_vec(&[2, 3], vec![1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
    assert!(matches!(
        Standardizer::fit(Scaling::Standard, &Tensor::<f64>::zeros(&[6])),
        Err(NormError::Rank { .. })
    ));
    assert!(matches!(
        Standardizer::fit(Scaling::Standard, &Tensor::<f64>::zeros(&[0, 3])),
        Err(NormError::Empty { .. })
    ));
    let s = Standardizer::fit(Scaling::PcaWhitening, &good).unwrap();
    let err = s
        .transform(&Tensor::<f64>::zeros(&[2, 4]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("[rows, 3]") && err.contains("[2, 4]"), "{err}");
    assert!(s.transform(&Tensor::<f64>::zeros(&[2, 3, 1])).is_err());
}
