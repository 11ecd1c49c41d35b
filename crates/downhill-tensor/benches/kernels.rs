//! Kernel throughput: matmul (GFLOP/s, reported by criterion as Gelem/s with one element per
//! floating-point operation), the small products and activations of the tiny MLP's training
//! step, elementwise arithmetic and activations, reductions.
//!
//! Run: `cargo bench -p downhill-tensor -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use downhill_tensor::{Tensor, Transpose};

/// A deterministic tensor with values in [−1, 1).
fn filled(shape: &[usize], seed: u64) -> Tensor<f32> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let n: usize = shape.iter().product();
    let data = (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect();
    Tensor::from_vec(shape, data).unwrap()
}

fn matmul(c: &mut Criterion) {
    let mut g = c.benchmark_group("matmul_f32");
    g.sample_size(10);
    for &(m, k, n) in &[(128usize, 784usize, 512usize), (1024, 1024, 1024)] {
        let a = filled(&[m, k], 1);
        let b = filled(&[k, n], 2);
        let bt = filled(&[n, k], 3); // a linear layer's weight, [out, in]
        g.throughput(Throughput::Elements((2 * m * k * n) as u64));
        let id = format!("{m}x{k}x{n}");
        g.bench_with_input(BenchmarkId::new("nn", &id), &(), |bch, _| {
            bch.iter(|| black_box(a.matmul(&b).unwrap()))
        });
        g.bench_with_input(BenchmarkId::new("nt", &id), &(), |bch, _| {
            bch.iter(|| black_box(a.matmul_t(Transpose::No, &bt, Transpose::Yes).unwrap()))
        });
        let mut out = Tensor::<f32>::zeros(&[m, n]);
        g.bench_with_input(BenchmarkId::new("gemm_accumulate", &id), &(), |bch, _| {
            bch.iter(|| {
                out.gemm(1.0, &a, Transpose::No, &b, Transpose::No, 1.0)
                    .unwrap();
                black_box(&out);
            })
        });
    }
    g.finish();
}

fn elementwise(c: &mut Criterion) {
    const N: usize = 1 << 20;
    let mut g = c.benchmark_group("elementwise_f32_1M");
    g.throughput(Throughput::Elements(N as u64));
    let a = filled(&[1024, 1024], 4);
    let b = filled(&[1024, 1024], 5);
    let row = filled(&[1024], 6);
    g.bench_function("add", |bch| bch.iter(|| black_box(a.add(&b).unwrap())));
    g.bench_function("mul", |bch| bch.iter(|| black_box(a.mul(&b).unwrap())));
    g.bench_function("add_broadcast_row", |bch| {
        bch.iter(|| black_box(a.add(&row).unwrap()))
    });
    let mut acc = a.clone();
    g.bench_function("add_assign", |bch| {
        bch.iter(|| {
            acc.add_assign(&b).unwrap();
            black_box(&acc);
        })
    });
    g.bench_function("sigmoid", |bch| bch.iter(|| black_box(a.sigmoid())));
    let mut s = a.clone();
    g.bench_function("sigmoid_inplace", |bch| {
        bch.iter(|| {
            s.sigmoid_inplace();
            black_box(&s);
        })
    });
    g.bench_function("relu", |bch| bch.iter(|| black_box(a.relu())));
    g.bench_function("tanh", |bch| bch.iter(|| black_box(a.tanh())));
    g.finish();
}

fn reductions(c: &mut Criterion) {
    let mut g = c.benchmark_group("reduce_f32_1M");
    let a = filled(&[1024, 1024], 7);
    g.throughput(Throughput::Elements(a.len() as u64));
    g.bench_function("sum_axes_0", |bch| {
        bch.iter(|| black_box(a.sum_axes(&[0], false).unwrap()))
    });
    g.bench_function("sum_axes_1", |bch| {
        bch.iter(|| black_box(a.sum_axes(&[1], false).unwrap()))
    });
    g.bench_function("sum_all", |bch| bch.iter(|| black_box(a.sum())));
    g.bench_function("sum_to_shape_bias", |bch| {
        bch.iter(|| black_box(a.sum_to_shape(&[1024]).unwrap()))
    });
    let logits = filled(&[1024, 1024], 8);
    g.bench_function("log_softmax_rows", |bch| {
        bch.iter(|| black_box(logits.log_softmax(1).unwrap()))
    });
    g.finish();
}

/// One operand of a small product: its stored shape and whether it is used transposed.
type Operand = ([usize; 2], Transpose);

/// The eight products of one training step of the tiny MLP 2-32-32-2 (batch 32): three
/// forward `x·Wᵀ`, three weight gradients `dyᵀ·x` and two input gradients `dy·W`, each timed
/// alone (the small-GEMM kernels), and tanh forward and backward on [32, 32].
fn small(c: &mut Criterion) {
    use Transpose::{No, Yes};
    let mut g = c.benchmark_group("tiny_mlp_kernels_f32");
    let cases: [(&str, Operand, Operand); 8] = [
        ("fwd1_32x2_nt_32x2", ([32, 2], No), ([32, 2], Yes)),
        ("fwd2_32x32_nt_32x32", ([32, 32], No), ([32, 32], Yes)),
        ("fwd3_32x32_nt_2x32", ([32, 32], No), ([2, 32], Yes)),
        ("dw3_32x2_tn_32x32", ([32, 2], Yes), ([32, 32], No)),
        ("dx3_32x2_nn_2x32", ([32, 2], No), ([2, 32], No)),
        ("dw2_32x32_tn_32x32", ([32, 32], Yes), ([32, 32], No)),
        ("dx2_32x32_nn_32x32", ([32, 32], No), ([32, 32], No)),
        ("dw1_32x32_tn_32x2", ([32, 32], Yes), ([32, 2], No)),
    ];
    for (i, (name, (sa, ta), (sb, tb))) in cases.into_iter().enumerate() {
        let a = filled(&sa, 20 + i as u64);
        let b = filled(&sb, 40 + i as u64);
        g.bench_function(name, |bch| {
            bch.iter(|| black_box(a.matmul_t(ta, &b, tb).unwrap()))
        });
    }
    let h = filled(&[32, 32], 60);
    g.bench_function("tanh_32x32", |bch| bch.iter(|| black_box(h.tanh())));
    let dy = filled(&[32, 32], 61);
    g.bench_function("mul_tanh_grad_32x32", |bch| {
        bch.iter(|| {
            let mut d = dy.clone();
            d.mul_tanh_grad(&h).unwrap();
            black_box(d)
        })
    });
    g.finish();
}

criterion_group!(benches, matmul, small, elementwise, reductions);
criterion_main!(benches);
