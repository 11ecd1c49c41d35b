//! Saving and loading weights.

use std::collections::BTreeMap;

use downhill_l2o::{L2oError, L2oRng, LearnedNet, LearnedOptimizer};
use rand::SeedableRng;

#[test]
fn save_load_round_trip_with_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.safetensors");
    let net = LearnedNet::initial(&mut L2oRng::seed_from_u64(3));
    let meta = BTreeMap::from([("seed".to_string(), "3".to_string())]);
    net.save(&path, &meta).unwrap();
    let (back, m) = LearnedNet::load(&path).unwrap();
    assert_eq!(back, net);
    assert_eq!(m["seed"], "3");
    // No growth limit: the format older readers also run exactly.
    assert_eq!(m["format"], downhill_l2o::FORMAT_NO_LIMIT);
    assert!(m["features"].contains("tanh(t/1000)"));
    LearnedOptimizer::<f32>::from_file(&path).unwrap();
}

#[test]
fn malformed_files_are_errors() {
    assert!(matches!(
        LearnedNet::from_safetensors(b"not a file"),
        Err(L2oError::Weights(_))
    ));
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.safetensors");
    assert!(matches!(
        LearnedNet::load(&missing),
        Err(L2oError::Io { .. })
    ));
    let net = LearnedNet::initial(&mut L2oRng::seed_from_u64(3));
    let mut bytes = net.to_safetensors(&BTreeMap::new()).unwrap();
    let n = bytes.len();
    bytes.truncate(n - 10);
    assert!(LearnedNet::from_safetensors(&bytes).is_err());
}

#[test]
fn shipped_weights_load_and_carry_their_provenance() {
    let (_, meta) = LearnedNet::from_safetensors(downhill_l2o::SHIPPED_WEIGHTS).unwrap();
    assert!(meta["command"].contains("l2o train"), "{meta:?}");
    assert!(meta.contains_key("seed") && meta.contains_key("iterations"));
}
