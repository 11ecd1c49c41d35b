//! Fuzz the checkpoint loader: any bytes give a checkpoint or an error, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = downhill::checkpoint::load_checkpoint_bytes::<f32>(data, std::path::Path::new("fuzz.safetensors"));
});
