//! Micro benchmarks of the regularizers on MNIST-like shapes, f32: dropout (forward alone, and
//! forward + backward through the tape), augmentation of a [64, 784] batch, penalty gradients.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use downhill_autograd::Tape;
use downhill_reg::{Augmentation, Dropout, Fill, ImageShape, Mode, Penalty, Pipeline};
use downhill_tensor::Tensor;
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

fn data(shape: &[usize]) -> Tensor<f32> {
    Tensor::from_fn(shape, |i| {
        let k = i
            .iter()
            .fold(17usize, |a, &x| a.wrapping_mul(31).wrapping_add(x)) as u32;
        (k.wrapping_mul(2_654_435_761) >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0
    })
}

fn dropout(c: &mut Criterion) {
    let x = data(&[128, 512]);
    let d = Dropout::new(0.5).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    let mut group = c.benchmark_group("dropout_128x512_f32");
    group.throughput(Throughput::Elements(x.len() as u64));
    group.bench_function("forward_tensor", |b| {
        b.iter(|| black_box(d.forward_tensor(&x, Mode::Train, &mut rng).unwrap()))
    });
    let mut tape = Tape::<f32>::new();
    group.bench_function("tape_forward_sum_backward", |b| {
        b.iter(|| {
            tape.clear();
            let xv = tape.input(x.clone());
            let y = d.forward(&mut tape, xv, Mode::Train, &mut rng).unwrap();
            let s = tape.sum(y).unwrap();
            tape.backward(s).unwrap();
            black_box(tape.grad(xv).unwrap().is_some())
        })
    });
    group.finish();
}

fn augmentation(c: &mut Criterion) {
    let batch = data(&[64, 784]);
    let shape = ImageShape::gray(28, 28);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let mut group = c.benchmark_group("augment_64x784_f32");
    group.throughput(Throughput::Elements(batch.len() as u64));
    let pipelines = [
        (
            "translate",
            vec![Augmentation::Translate {
                max_shift: 2,
                fill: Fill::Zero,
            }],
        ),
        ("rotate", vec![Augmentation::Rotate { max_degrees: 10.0 }]),
        ("cutout", vec![Augmentation::Cutout { size: 8 }]),
        ("standard", Pipeline::standard().steps().to_vec()),
    ];
    for (name, steps) in pipelines {
        let p = Pipeline::new(steps).unwrap();
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut x = batch.clone();
                p.apply(&mut x, shape, &mut rng).unwrap();
                black_box(x)
            })
        });
    }
    group.finish();
}

fn penalty(c: &mut Criterion) {
    let w = data(&[512, 512]);
    let p = Penalty::elastic_net(1e-4, 1e-3).unwrap();
    let mut g = Tensor::<f32>::zeros(&[512, 512]);
    let mut group = c.benchmark_group("elastic_net_512x512_f32");
    group.throughput(Throughput::Elements(w.len() as u64));
    group.bench_function("value", |b| b.iter(|| black_box(p.value(&w).unwrap())));
    group.bench_function("add_gradient", |b| {
        b.iter(|| p.add_gradient(&w, black_box(&mut g)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, dropout, augmentation, penalty);
criterion_main!(benches);
