//! Fuzz config parsing (JSON and TOML run configurations).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = downhill::run::RunConfig::from_json_str(text);
        let _ = downhill::run::RunConfig::from_toml_str(text);
    }
});
