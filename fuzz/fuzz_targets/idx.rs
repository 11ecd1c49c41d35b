//! Fuzz the IDX (MNIST format) parsers.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = downhill::data::parse_idx_images(data, "fuzz.idx");
    let _ = downhill::data::parse_idx_labels(data, "fuzz.idx");
});
