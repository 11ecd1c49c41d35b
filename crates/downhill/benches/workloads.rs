//! Whole workloads with the shapes of `anchors/torch_anchor.py` (see `downhill bench` and
//! `tools/bench_compare.py` for the side-by-side run against PyTorch), so regressions show:
//! GEMM 1024³, stream copy and triad, one Adam step over 10M parameters, and the training
//! step of the three MLPs, with forward (+ loss) and backward (+ optimizer step) measured
//! separately as well as the whole step.
//!
//! Run: `cargo bench -p downhill --bench workloads -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use downhill::autograd::Var;
use downhill::optim::{Hyper, Optimizer, ParamMut, by_name};
use downhill::{Activation, DefaultRng, LayerSpec, Loss, Mode, NetSpec, Network, Tensor};
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;

fn randn(rng: &mut DefaultRng, shape: &[usize]) -> Tensor<f32> {
    let n = shape.iter().product();
    let data = (0..n).map(|_| rng.sample(StandardNormal)).collect();
    Tensor::from_vec(shape, data).unwrap()
}

fn hyper(lr: f64, momentum: Option<f64>) -> Hyper {
    Hyper {
        lr: Some(lr),
        momentum,
        ..Default::default()
    }
}

fn kernels(c: &mut Criterion) {
    let mut rng = DefaultRng::seed_from_u64(0);
    let mut g = c.benchmark_group("ceilings");
    g.sample_size(10);
    let (a, b) = (
        randn(&mut rng, &[1024, 1024]),
        randn(&mut rng, &[1024, 1024]),
    );
    g.throughput(Throughput::Elements(2 * 1024u64.pow(3)));
    g.bench_function("gemm_1024", |bch| {
        bch.iter(|| black_box(a.matmul(&b).unwrap()))
    });
    let n = 64 << 20;
    let (x, z) = (randn(&mut rng, &[n]), randn(&mut rng, &[n]));
    let mut y = Tensor::<f32>::zeros(&[n]);
    g.throughput(Throughput::Bytes(2 * 4 * n as u64));
    g.bench_function("stream_copy_64Mi", |bch| bch.iter(|| y.assign(&x).unwrap()));
    g.throughput(Throughput::Bytes(3 * 4 * n as u64));
    g.bench_function("stream_triad_64Mi", |bch| {
        bch.iter(|| {
            y.assign(&x).unwrap();
            y.scaled_add(3.0, &z).unwrap();
        })
    });
    drop((x, y, z));
    let n = 10_000_000;
    let mut p = Tensor::<f32>::zeros(&[n]);
    let grad = randn(&mut rng, &[n]);
    let mut opt = by_name::<f32>("adam", &hyper(1e-3, None)).unwrap();
    g.throughput(Throughput::Bytes(7 * 4 * n as u64));
    g.bench_function("adam_10M", |bch| {
        bch.iter(|| opt.step(&mut [ParamMut::new(&mut p, &grad)]).unwrap())
    });
    g.finish();
}

/// A network, its optimizer and one fixed batch.
struct Workload {
    net: Network<f32>,
    opt: Box<dyn Optimizer<f32>>,
    x: Tensor<f32>,
    y: Vec<usize>,
    rng: DefaultRng,
}

impl Workload {
    fn new(spec: &NetSpec, opt: Box<dyn Optimizer<f32>>, batch: usize) -> Self {
        let mut rng = DefaultRng::seed_from_u64(0);
        let net = Network::from_spec(spec, &mut rng).unwrap();
        let x = randn(&mut rng, &[batch, spec.input]);
        let classes = spec.output();
        let y = (0..batch).map(|_| rng.random_range(0..classes)).collect();
        Self {
            net,
            opt,
            x,
            y,
            rng,
        }
    }

    fn forward(&mut self) -> Var {
        let out = self
            .net
            .forward(&self.x, Mode::Train, &mut self.rng)
            .unwrap();
        Loss::CrossEntropy {
            label_smoothing: 0.0,
        }
        .compute(self.net.tape_mut(), out, &self.y)
        .unwrap()
    }

    fn backward(&mut self, loss: Var) {
        self.net.params_mut().zero_grad();
        self.net.tape_mut().backward(loss).unwrap();
        let mut handles: Vec<ParamMut<'_, f32>> = self
            .net
            .params_mut()
            .iter_mut()
            .map(|p| ParamMut {
                value: &mut p.value,
                grad: p.has_grad.then_some(&p.grad),
                group: 0,
            })
            .collect();
        self.opt.step(&mut handles).unwrap();
    }
}

fn bench_workload(c: &mut Criterion, name: &str, mut w: Workload) {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(w.y.len() as u64));
    g.bench_function("step", |bch| {
        bch.iter(|| {
            let loss = w.forward();
            w.backward(loss);
        })
    });
    g.bench_function("forward_loss", |bch| bch.iter(|| black_box(w.forward())));
    g.bench_function("backward_update", |bch| {
        bch.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let loss = w.forward();
                let t0 = Instant::now();
                w.backward(loss);
                total += t0.elapsed();
            }
            total
        })
    });
    g.finish();
}

fn mlps(c: &mut Criterion) {
    let adam = || by_name::<f32>("adam", &hyper(1e-3, None)).unwrap();
    let spec = NetSpec::mlp(784, &[512, 256], 10, Activation::Relu, None);
    bench_workload(c, "mlp_mnist_b128", Workload::new(&spec, adam(), 128));
    let spec = NetSpec::mlp(2, &[32, 32], 2, Activation::Tanh, None);
    let sgd = by_name::<f32>("sgd", &hyper(0.1, Some(0.9))).unwrap();
    bench_workload(c, "mlp_tiny_b32", Workload::new(&spec, sgd, 32));
    let linear = |out| LayerSpec::Linear {
        out,
        init: None,
        bias: true,
    };
    let block = |out| {
        [
            linear(out),
            LayerSpec::BatchNorm {
                eps: 1e-5,
                momentum: Some(0.1),
            },
            LayerSpec::Activation {
                kind: Activation::Relu,
            },
            LayerSpec::Dropout { p: 0.2 },
        ]
    };
    let mut layers: Vec<LayerSpec> = block(512).into_iter().chain(block(256)).collect();
    layers.push(linear(10));
    let spec = NetSpec { input: 784, layers };
    bench_workload(c, "bn_mlp_b128", Workload::new(&spec, adam(), 128));
}

criterion_group!(benches, mlps, kernels);
criterion_main!(benches);
