//! `downhill bench`: the workloads of `anchors/torch_anchor.py`, with its shapes, its timing
//! method (warm-up, then the median of repeated runs over at least a second) and its keys, so
//! `tools/bench_compare.py` can print the ratios of one run against PyTorch on the same machine.

use std::hint::black_box;
use std::time::Instant;

use clap::Args;
use downhill::optim::{Hyper, Optimizer, ParamMut, by_name};
use downhill::{Activation, DefaultRng, LayerSpec, Loss, Mode, NetSpec, Network, Tensor};
use rand::{RngExt, SeedableRng};

/// `downhill bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Print one JSON object (the anchor's keys).
    #[arg(long)]
    pub json: bool,
    /// Run only the workloads whose key contains this text (e.g. `mlp_tiny`, for a profiler).
    #[arg(long)]
    pub only: Option<String>,
}

/// Runs the benchmarks.
pub fn run(args: BenchArgs) -> downhill::Result<()> {
    let only = args.only.as_deref().unwrap_or("");
    let want = |key: &str| key.contains(only);
    let mut res: Vec<(&'static str, f64)> = Vec::new();
    res.push(("threads", threads("MATMUL_NUM_THREADS") as f64));
    // The MLP runs first, so the peak RSS read after it is the MLP's alone (the big
    // stream and Adam buffers come later), as the script measures PyTorch's.
    let mlp = want("mlp_mnist_samples_per_s")
        .then(mlp_mnist)
        .transpose()?;
    let rss = peak_rss_mb();
    if want("gemm_gflops") {
        res.push(("gemm_gflops", gemm()));
    }
    if want("stream_copy_gbs") || want("stream_triad_gbs") {
        let (copy, triad) = stream();
        res.push(("stream_copy_gbs", copy));
        res.push(("stream_triad_gbs", triad));
    }
    if want("adam10m_fused_ms") {
        res.push(("adam10m_fused_ms", adam10m()? * 1e3));
    }
    if let Some(mlp) = mlp {
        res.push(("mlp_mnist_samples_per_s", mlp));
    }
    if want("mlp_tiny_steps_per_s") {
        res.push(("mlp_tiny_steps_per_s", mlp_tiny()?));
    }
    if want("bn_mlp_samples_per_s") {
        res.push(("bn_mlp_samples_per_s", bn_mlp()?));
    }
    if mlp.is_some() {
        res.push(("peak_rss_mb", rss));
    }
    if args.json {
        let map: serde_json::Map<String, serde_json::Value> = res
            .iter()
            .map(|&(k, v)| (k.to_string(), serde_json::json!(v)))
            .collect();
        println!("{}", serde_json::Value::Object(map));
    } else {
        for (k, v) in res {
            println!("{k:28} {v:.2}");
        }
    }
    Ok(())
}

/// The thread count an environment variable sets (matrixmultiply's `MATMUL_NUM_THREADS`, rayon's
/// `RAYON_NUM_THREADS`), else the machine's.
fn threads(var: &str) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The anchor's `timeit`: `warm` calls, then calls until both `reps` and `min_time` seconds
/// are reached; the median duration in seconds.
fn timeit<T>(warm: usize, reps: usize, min_time: f64, mut f: impl FnMut() -> T) -> f64 {
    for _ in 0..warm {
        black_box(f());
    }
    let mut ts = Vec::new();
    let start = Instant::now();
    while ts.len() < reps || start.elapsed().as_secs_f64() < min_time {
        let t0 = Instant::now();
        black_box(f());
        ts.push(t0.elapsed().as_secs_f64());
        if ts.len() > 10_000 {
            break;
        }
    }
    ts.sort_by(f64::total_cmp);
    ts[ts.len() / 2]
}

fn randn(rng: &mut DefaultRng, shape: &[usize]) -> Tensor<f32> {
    // Filled in place so that large inputs live on the library's own allocation (huge pages
    // for ≥ 4 MiB, as a gradient from the tape would), not on a collected `Vec`.
    let normal = rand_distr_normal();
    let mut t = Tensor::zeros(shape);
    for v in t.as_mut_slice() {
        *v = normal(rng);
    }
    t
}

/// A standard normal sampler (Box–Muller), enough for benchmark inputs.
fn rand_distr_normal() -> impl Fn(&mut DefaultRng) -> f32 {
    |rng| {
        let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
        let u2: f64 = rng.random();
        ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
    }
}

fn gemm() -> f64 {
    let mut rng = DefaultRng::seed_from_u64(0);
    let (a, b) = (
        randn(&mut rng, &[1024, 1024]),
        randn(&mut rng, &[1024, 1024]),
    );
    let t = timeit(3, 10, 1.0, || a.matmul(&b).expect("square matrices"));
    2.0 * 1024f64.powi(3) / t / 1e9
}

fn stream() -> (f64, f64) {
    let n = 64 << 20;
    let mut rng = DefaultRng::seed_from_u64(1);
    let x = randn(&mut rng, &[n]);
    let z = randn(&mut rng, &[n]);
    let mut y = Tensor::<f32>::zeros(&[n]);
    let t = timeit(3, 10, 1.0, || y.assign(&x).expect("same shape"));
    let copy = 2.0 * n as f64 * 4.0 / t / 1e9;
    let t = timeit(3, 10, 1.0, || {
        y.assign(&x).expect("same shape");
        y.scaled_add(3.0, &z).expect("same shape");
    });
    // Reported as the anchor's single-pass triad (3 streams), though it costs two passes.
    let triad = 3.0 * n as f64 * 4.0 / t / 1e9;
    (copy, triad)
}

fn adam10m() -> downhill::Result<f64> {
    let n = 10_000_000;
    let mut rng = DefaultRng::seed_from_u64(2);
    let mut p = Tensor::<f32>::zeros(&[n]);
    let g = randn(&mut rng, &[n]);
    let mut opt = by_name::<f32>("adam", &lr(1e-3))?;
    let mut err = None;
    let t = timeit(3, 10, 1.0, || {
        if let Err(e) = opt.step(&mut [ParamMut::new(&mut p, &g)]) {
            err = Some(e);
        }
    });
    match err {
        Some(e) => Err(e.into()),
        None => Ok(t),
    }
}

fn lr(lr: f64) -> Hyper {
    Hyper {
        lr: Some(lr),
        ..Default::default()
    }
}

/// Training steps per second of `spec` on one fixed random batch, as the anchor's `train_rate`.
fn train_rate(spec: &NetSpec, opt: Box<dyn Optimizer<f32>>, batch: usize) -> downhill::Result<f64> {
    let mut w = Workload::new(spec, opt, batch)?;
    let mut err = None;
    let t = timeit(5, 30, 2.0, || {
        if let Err(e) = w.step() {
            err = Some(e);
        }
    });
    match err {
        Some(e) => Err(e),
        None => Ok(1.0 / t),
    }
}

/// One network, optimizer and batch: the user-level training step.
struct Workload {
    net: Network<f32>,
    opt: Box<dyn Optimizer<f32>>,
    x: Tensor<f32>,
    y: Vec<usize>,
    rng: DefaultRng,
}

impl Workload {
    fn new(spec: &NetSpec, opt: Box<dyn Optimizer<f32>>, batch: usize) -> downhill::Result<Self> {
        let mut rng = DefaultRng::seed_from_u64(0);
        let net = Network::from_spec(spec, &mut rng)?;
        let x = randn(&mut rng, &[batch, spec.input]);
        let classes = spec.output();
        let y = (0..batch).map(|_| rng.random_range(0..classes)).collect();
        Ok(Self {
            net,
            opt,
            x,
            y,
            rng,
        })
    }

    fn step(&mut self) -> downhill::Result<()> {
        let out = self.net.forward(&self.x, Mode::Train, &mut self.rng)?;
        let loss = Loss::CrossEntropy {
            label_smoothing: 0.0,
        }
        .compute(self.net.tape_mut(), out, &self.y)?;
        self.net.params_mut().zero_grad();
        self.net.tape_mut().backward(loss)?;
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
        self.opt.step(&mut handles)?;
        Ok(())
    }
}

fn mlp_mnist() -> downhill::Result<f64> {
    let spec = NetSpec::mlp(784, &[512, 256], 10, Activation::Relu, None);
    Ok(128.0 * train_rate(&spec, by_name("adam", &lr(1e-3))?, 128)?)
}

fn mlp_tiny() -> downhill::Result<f64> {
    let spec = NetSpec::mlp(2, &[32, 32], 2, Activation::Tanh, None);
    let hyper = Hyper {
        momentum: Some(0.9),
        ..lr(0.1)
    };
    train_rate(&spec, by_name("sgd", &hyper)?, 32)
}

fn bn_mlp() -> downhill::Result<f64> {
    let linear = |out| LayerSpec::Linear {
        out,
        init: None,
        bias: true,
    };
    let bn = || LayerSpec::BatchNorm {
        eps: 1e-5,
        momentum: Some(0.1),
    };
    let relu = || LayerSpec::Activation {
        kind: Activation::Relu,
    };
    let drop = || LayerSpec::Dropout { p: 0.2 };
    let spec = NetSpec {
        input: 784,
        layers: vec![
            linear(512),
            bn(),
            relu(),
            drop(),
            linear(256),
            bn(),
            relu(),
            drop(),
            linear(10),
        ],
    };
    Ok(128.0 * train_rate(&spec, by_name("adam", &lr(1e-3))?, 128)?)
}

/// The process's peak resident set (`VmHWM`) in MiB, NaN where /proc is unavailable.
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}
