//! BatchNorm1d forward + backward on [128, 512] f32: through the tape, and the raw kernels.
//! Compare with `tools/golden/norm_bench.py` (PyTorch, 2 threads) run back to back.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use downhill_autograd::Tape;
use downhill_norm::{
    BatchNorm, BatchNormConfig, BatchNormGrads, ChannelLayout, Mode, batch_norm_backward,
    batch_norm_normalize, channel_stats,
};
use downhill_tensor::Tensor;
use std::hint::black_box;

const N: usize = 128;
const C: usize = 512;

fn data(seed: u32) -> Tensor<f32> {
    Tensor::from_fn(&[N, C], |i| {
        let k = (i[0] * C + i[1]) as u32 ^ seed;
        (k.wrapping_mul(2_654_435_761) >> 8) as f32 / (1u32 << 24) as f32 * 4.0 - 2.0
    })
}

fn tape_step(c: &mut Criterion) {
    let (x, g) = (data(1), data(2));
    let mut tape = Tape::<f32>::new();
    let mut bn = BatchNorm::new_1d(BatchNormConfig::new(C), tape.params_mut(), "").unwrap();
    let mut group = c.benchmark_group("batchnorm1d_128x512_f32");
    group.throughput(Throughput::Elements((N * C) as u64));
    group.bench_function("tape_forward_mul_sum_backward", |b| {
        b.iter(|| {
            tape.clear();
            tape.params_mut().zero_grad();
            let xv = tape.input(x.clone());
            let gv = tape.constant(g.clone());
            let y = bn.forward(&mut tape, xv, Mode::Train).unwrap();
            let yg = tape.mul(y, gv).unwrap();
            let loss = tape.sum(yg).unwrap();
            tape.backward(loss).unwrap();
            black_box(tape.grad(xv).unwrap().is_some())
        })
    });
    group.finish();
}

fn raw_kernels(c: &mut Criterion) {
    let (x, g) = (data(1), data(2));
    let layout = ChannelLayout::of(&[N, C]).unwrap();
    let (gamma, beta) = (vec![1.5f32; C], vec![0.25f32; C]);
    let stats = channel_stats(x.as_slice(), layout, 1e-5);
    let mut y = vec![0f32; N * C];
    let (mut dx, mut dgamma, mut dbeta) = (vec![0f32; N * C], vec![0f32; C], vec![0f32; C]);
    let mut group = c.benchmark_group("batchnorm1d_128x512_f32_kernels");
    group.throughput(Throughput::Elements((N * C) as u64));
    group.bench_function("forward_stats_normalize", |b| {
        b.iter(|| {
            let s = channel_stats(black_box(x.as_slice()), layout, 1e-5);
            batch_norm_normalize(x.as_slice(), layout, &s, Some(&gamma), Some(&beta), &mut y);
            black_box(&y);
        })
    });
    group.bench_function("backward", |b| {
        b.iter(|| {
            let out = BatchNormGrads {
                dx: &mut dx,
                dgamma: &mut dgamma,
                dbeta: &mut dbeta,
            };
            batch_norm_backward(
                black_box(x.as_slice()),
                g.as_slice(),
                layout,
                &stats,
                Some(&gamma),
                true,
                out,
            );
            black_box(&dx);
        })
    });
    group.finish();
}

criterion_group!(benches, tape_step, raw_kernels);
criterion_main!(benches);
