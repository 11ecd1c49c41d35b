//! Property tests over shapes (64 cases each).

mod common;

use common::{orthonormality_error, rng};
use downhill_init::{FanMode, INIT_NAMES, Init, Nonlinearity, fans};
use proptest::prelude::*;

fn weight_shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..7, 2..5)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn fans_are_receptive_field_products(shape in weight_shape()) {
        let f = fans(&shape).unwrap();
        let receptive: usize = shape[2..].iter().product();
        prop_assert_eq!(f.fan_in, shape[1] * receptive);
        prop_assert_eq!(f.fan_out, shape[0] * receptive);
        prop_assert_eq!(f.fan_in * shape[0], shape.iter().product::<usize>());
        prop_assert_eq!(f.get(FanMode::FanOut), f.fan_out);
    }

    #[test]
    fn every_named_scheme_fills_its_shape_within_support(
        shape in weight_shape(),
        which in 0..INIT_NAMES.len(),
        seed in any::<u64>(),
    ) {
        let init: Init = INIT_NAMES[which].parse().unwrap();
        match init.sample::<f32>(&mut rng(seed), &shape) {
            Ok(t) => {
                prop_assert_eq!(t.shape(), &shape[..]);
                prop_assert!(t.all_finite());
                let (lo, hi) = init.support(&shape).unwrap();
                prop_assert!(t.as_slice().iter().all(|&x| lo as f32 <= x && x <= hi as f32));
                prop_assert!(init.std(&shape).unwrap() >= 0.0);
            }
            // Only eye rejects valid weight shapes, and only those that are not 2-D.
            Err(e) => prop_assert!(init == Init::Eye && shape.len() != 2, "{init}: {e}"),
        }
    }

    #[test]
    fn orthogonal_is_orthonormal_for_any_shape(shape in weight_shape(), gain in 0.1f64..3.0, seed in any::<u64>()) {
        let t = Init::Orthogonal { gain }.sample::<f64>(&mut rng(seed), &shape).unwrap();
        let rows = shape[0];
        let cols = t.len() / rows;
        let err = orthonormality_error(t.as_slice(), rows, cols, gain);
        prop_assert!(err < 1e-12, "{:?}: {}", shape, err);
    }

    #[test]
    fn kaiming_std_scales_with_gain_over_root_fan(shape in weight_shape(), slope in 0.0f64..1.0) {
        let f = fans(&shape).unwrap();
        for mode in [FanMode::FanIn, FanMode::FanOut] {
            let init = Init::HeNormal { mode, nonlinearity: Nonlinearity::LeakyRelu(slope) };
            let want = (2.0 / (1.0 + slope * slope) / f.get(mode) as f64).sqrt();
            prop_assert!((init.std(&shape).unwrap() - want).abs() <= 1e-14 * want);
        }
    }

    #[test]
    fn display_parse_round_trip(value in -10.0f64..10.0, std in 0.0f64..10.0, gain in 0.0f64..5.0) {
        for init in [
            Init::Constant { value },
            Init::Normal { mean: value, std },
            Init::Uniform { a: value, b: value + std },
            Init::XavierUniform { gain },
            Init::HeUniform { mode: FanMode::FanOut, nonlinearity: Nonlinearity::LeakyRelu(std) },
        ] {
            prop_assert_eq!(init.to_string().parse::<Init>().unwrap(), init);
        }
    }
}
