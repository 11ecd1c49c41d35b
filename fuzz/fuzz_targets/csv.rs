//! Fuzz the CSV loader.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = downhill::data::parse_csv::<f32>(data, "fuzz.csv", &downhill::data::CsvOptions::default());
});
