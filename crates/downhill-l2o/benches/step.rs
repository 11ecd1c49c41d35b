//! One step of the learned optimizer (the shipped weights) against one step of Adam, on the
//! same f32 parameter vector, at three sizes.
//!
//! The learned step runs the shipped network (24 inputs, 32 and 32 hidden units, a linear skip)
//! on every coordinate, so it costs about 4k floating-point operations per parameter where Adam
//! costs about ten; the ratio of
//! the two times is what `--optimizer learned` costs over `--optimizer adam` per step, before
//! the forward and backward passes both share. PyTorch has no learned optimizer to anchor it;
//! Adam is anchored by `cargo bench -p downhill-optim` (`adam10m_fused_ms` of the anchor).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use downhill_l2o::LearnedOptimizer;
use downhill_optim::{Adam, Optimizer};
use downhill_tensor::Tensor;

fn tensors(n: usize) -> (Vec<Tensor<f32>>, Vec<Tensor<f32>>) {
    let p = Tensor::<f32>::from_vec(&[n], (0..n).map(|i| (i % 97) as f32 * 0.01).collect());
    let g = Tensor::<f32>::from_vec(
        &[n],
        (0..n).map(|i| ((i % 89) as f32 - 44.0) * 0.001).collect(),
    );
    (vec![p.unwrap()], vec![g.unwrap()])
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("learned_vs_adam_f32");
    group.sample_size(10);
    for n in [10_000, 100_000, 1_000_000] {
        group.throughput(Throughput::Elements(n as u64));
        let (mut params, grads) = tensors(n);
        let mut learned = LearnedOptimizer::<f32>::shipped().unwrap();
        learned.step_tensors(&mut params, &grads).unwrap();
        group.bench_function(format!("learned/{n}"), |b| {
            b.iter(|| learned.step_tensors(&mut params, &grads).unwrap())
        });
        let (mut params, grads) = tensors(n);
        let mut adam = Adam {
            lr: 1e-3,
            ..Adam::default()
        }
        .build::<f32>()
        .unwrap();
        adam.step_tensors(&mut params, &grads).unwrap();
        group.bench_function(format!("adam/{n}"), |b| {
            b.iter(|| adam.step_tensors(&mut params, &grads).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
