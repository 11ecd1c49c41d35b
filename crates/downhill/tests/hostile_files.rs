//! Hostile inputs to every file reader: random, truncated and bit-flipped bytes give an error,
//! never a panic, and never an allocation the file does not justify.

use std::path::Path;

use downhill::checkpoint::{load_checkpoint_bytes, save_checkpoint};
use downhill::data::{CsvOptions, parse_csv, parse_idx_images, parse_idx_labels};
use downhill::run::RunConfig;
use downhill::{Activation, NetSpec, Network, TrainConfig, Trainer};
use proptest::prelude::*;
use rand::SeedableRng;

fn valid_checkpoint() -> Vec<u8> {
    let mut rng = downhill::DefaultRng::seed_from_u64(0);
    let spec = NetSpec::mlp(4, &[5], 3, Activation::Tanh, None);
    let net = Network::<f32>::from_spec(&spec, &mut rng).expect("net");
    let trainer = Trainer::<f32>::new(TrainConfig::default()).expect("trainer");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("c.safetensors");
    save_checkpoint(&path, &net, Some(&trainer)).expect("save");
    std::fs::read(path).expect("read")
}

fn idx_images(n: u32, h: u32, w: u32) -> Vec<u8> {
    let mut b = vec![0, 0, 8, 3];
    for d in [n, h, w] {
        b.extend_from_slice(&d.to_be_bytes());
    }
    b.extend(std::iter::repeat_n(7u8, (n * h * w) as usize));
    b
}

#[test]
fn idx_header_claiming_a_trillion_items_is_refused_without_allocating() {
    let mut b = vec![0, 0, 8, 3];
    for d in [1_000_000u32, 1_000_000, 1] {
        b.extend_from_slice(&d.to_be_bytes());
    }
    b.extend_from_slice(&[1, 2, 3]);
    let err = parse_idx_images(&b, "huge.idx").unwrap_err().to_string();
    assert!(err.contains("huge.idx") && err.contains("holds 3"), "{err}");
}

#[test]
fn checkpoint_spec_larger_than_the_file_is_refused() {
    let no_tensors: Vec<(String, safetensors::tensor::TensorView<'_>)> = Vec::new();
    for spec in [
        r#"{"input":4,"layers":[{"layer":"linear","out":1000000000000,"bias":true}]}"#,
        r#"{"input":18446744073709551615,"layers":[{"layer":"linear","out":4,"bias":true}]}"#,
    ] {
        let meta =
            std::collections::HashMap::from([("downhill.spec".to_string(), spec.to_string())]);
        let bytes = safetensors::serialize(no_tensors.clone(), Some(meta)).expect("serialize");
        let err = load_checkpoint_bytes::<f32>(&bytes, Path::new("h.safetensors"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("h.safetensors") && (err.contains("scalars") || err.contains("overflows")),
            "{err}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn csv_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_csv::<f32>(&bytes, "fuzz.csv", &CsvOptions::default());
    }

    #[test]
    fn idx_parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = parse_idx_images(&bytes, "fuzz.idx");
        let _ = parse_idx_labels(&bytes, "fuzz.idx");
    }

    #[test]
    fn truncated_or_flipped_idx_is_an_error(cut in 0usize..52, flip in 0usize..52, bit in 0u8..8) {
        let good = idx_images(2, 3, 6);
        prop_assert!(parse_idx_images(&good, "g").is_ok());
        prop_assert!(parse_idx_images(&good[..cut], "g").is_err());
        let mut bad = good.clone();
        bad[flip % 16] ^= 1 << bit; // flips in the header change what it declares
        let _ = parse_idx_images(&bad, "g");
    }

    #[test]
    fn config_parsers_never_panic(text in "\\PC{0,200}") {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in ["c.json", "c.toml"] {
            let p = dir.path().join(name);
            std::fs::write(&p, &text).expect("write");
            let _ = RunConfig::from_file(&p);
        }
    }

    #[test]
    fn truncated_checkpoints_are_errors(cut in 0usize..10_000) {
        let good = valid_checkpoint();
        let cut = cut % good.len();
        prop_assert!(load_checkpoint_bytes::<f32>(&good[..cut], Path::new("t.safetensors")).is_err());
    }

    #[test]
    fn bit_flipped_checkpoints_never_panic(pos in 0usize..100_000, bit in 0u8..8) {
        let mut b = valid_checkpoint();
        let pos = pos % b.len();
        b[pos] ^= 1 << bit;
        let _ = load_checkpoint_bytes::<f32>(&b, Path::new("f.safetensors"));
    }
}
