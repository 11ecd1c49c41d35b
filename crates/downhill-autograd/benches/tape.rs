//! Autograd benchmarks: one training step of a 784-512-256-10 ReLU MLP (batch 128, cross-entropy),
//! forward and forward+backward measured separately, and the tape's overhead per op on tiny
//! tensors (a chain of 1000 adds on `[2]` tensors; time per element = time per op).
//!
//! Run: `cargo bench -p downhill-autograd -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use downhill_autograd::{ParamId, Reduction, Result, Tape, Var};
use downhill_tensor::Tensor;

fn filled(shape: &[usize], seed: u64, scale: f32) -> Tensor<f32> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let n: usize = shape.iter().product();
    let data = (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0) * scale
        })
        .collect();
    Tensor::from_vec(shape, data).unwrap()
}

const SIZES: [usize; 4] = [784, 512, 256, 10];
const BATCH: usize = 128;

fn mlp_tape() -> (Tape<f32>, Vec<(ParamId, ParamId)>) {
    let mut tape = Tape::<f32>::new();
    let mut layers = vec![];
    for (l, w) in SIZES.windows(2).enumerate() {
        let bound = 1.0 / (w[0] as f32).sqrt();
        let p = tape.params_mut();
        let wi = p
            .add(
                format!("{l}.weight"),
                filled(&[w[1], w[0]], 10 + l as u64, bound),
            )
            .unwrap();
        let bi = p
            .add(format!("{l}.bias"), filled(&[w[1]], 20 + l as u64, bound))
            .unwrap();
        layers.push((wi, bi));
    }
    (tape, layers)
}

fn forward(
    tape: &mut Tape<f32>,
    layers: &[(ParamId, ParamId)],
    x: &Tensor<f32>,
    y: &[usize],
) -> Result<Var> {
    let mut h = tape.constant(x.clone());
    for (l, &(w, b)) in layers.iter().enumerate() {
        let (wv, bv) = (tape.param(w)?, tape.param(b)?);
        h = tape.linear(h, wv, Some(bv))?;
        if l + 1 < layers.len() {
            h = tape.relu(h)?;
        }
    }
    tape.cross_entropy(h, y, Reduction::Mean)
}

fn mlp(c: &mut Criterion) {
    let (mut tape, layers) = mlp_tape();
    let x = filled(&[BATCH, SIZES[0]], 1, 1.0);
    let y: Vec<usize> = (0..BATCH).map(|i| (i * 7) % 10).collect();
    let mut g = c.benchmark_group("mlp_784_512_256_10_batch128_f32");
    g.sample_size(20);
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("forward", |b| {
        b.iter(|| {
            tape.clear();
            let loss = forward(&mut tape, &layers, &x, &y).unwrap();
            black_box(tape.value(loss).unwrap().item().unwrap())
        })
    });
    g.bench_function("forward_backward", |b| {
        b.iter(|| {
            tape.clear();
            tape.params_mut().zero_grad();
            let loss = forward(&mut tape, &layers, &x, &y).unwrap();
            tape.backward(loss).unwrap();
            black_box(tape.params().get(layers[0].0).unwrap().grad.as_slice()[0])
        })
    });
    g.finish();
}

fn tape_overhead(c: &mut Criterion) {
    const OPS: usize = 1000;
    let mut g = c.benchmark_group("tape_overhead_1000_adds_on_[2]");
    g.throughput(Throughput::Elements(OPS as u64));
    let mut tape = Tape::<f32>::new();
    let one = Tensor::<f32>::from_vec(&[2], vec![1.0, 2.0]).unwrap();
    let chain = |tape: &mut Tape<f32>| {
        tape.clear();
        let x = tape.input(one.clone());
        let mut y = x;
        for _ in 0..OPS - 1 {
            y = tape.add(y, x).unwrap();
        }
        let s = tape.sum(y).unwrap();
        (x, s)
    };
    g.bench_function("forward", |b| b.iter(|| black_box(chain(&mut tape))));
    g.bench_function("forward_backward", |b| {
        b.iter(|| {
            let (x, s) = chain(&mut tape);
            tape.backward(s).unwrap();
            black_box(tape.grad(x).unwrap().is_some())
        })
    });
    g.finish();
}

criterion_group!(benches, mlp, tape_overhead);
criterion_main!(benches);
