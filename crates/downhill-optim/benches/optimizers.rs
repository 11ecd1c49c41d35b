//! One step of each optimizer over 10M f32 parameters.
//!
//! `Throughput::Bytes` counts the bytes the algorithm must read and write per step: e.g. Adam
//! reads x, g, m, v and writes x, m, v, 7 streams × 4 bytes × n. Compare with
//! `adam10m_fused_ms` of `../shared/anchors/torch_anchor.py` on the same machine.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use downhill_optim::{Hyper, by_name};
use downhill_tensor::Tensor;

const N: usize = 10_000_000;

/// (name, hyperparameters, streams read + written)
const CASES: [(&str, &str, u64); 11] = [
    ("sgd", r#"{"lr":0.01,"momentum":0.9}"#, 5),
    ("adagrad", "{}", 5),
    ("adadelta", "{}", 7),
    ("rmsprop", "{}", 5),
    ("adam", r#"{"lr":0.001}"#, 7),
    ("adamw", r#"{"lr":0.001}"#, 7),
    ("nadam", "{}", 7),
    ("radam", "{}", 7),
    ("adamax", "{}", 7),
    ("lion", "{}", 5),
    // Two passes: read x, g, m, v and write m, v; then read x, m, v and write x.
    ("lamb", "{}", 10),
];

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("step_10m_f32");
    group.sample_size(10);
    for (name, hyper, streams) in CASES {
        let hyper: Hyper = serde_json::from_str(hyper).unwrap();
        let mut opt = by_name::<f32>(name, &hyper).unwrap();
        let mut params = vec![
            Tensor::<f32>::from_vec(&[N], (0..N).map(|i| (i % 97) as f32 * 0.01).collect())
                .unwrap(),
        ];
        let grads = vec![
            Tensor::<f32>::from_vec(
                &[N],
                (0..N).map(|i| ((i % 89) as f32 - 44.0) * 0.001).collect(),
            )
            .unwrap(),
        ];
        opt.step_tensors(&mut params, &grads).unwrap();
        group.throughput(Throughput::Bytes(streams * 4 * N as u64));
        group.bench_function(name, |b| {
            b.iter(|| opt.step_tensors(&mut params, &grads).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
