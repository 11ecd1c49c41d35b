#!/usr/bin/env python3
"""Runs `downhill bench --json` and the PyTorch anchor back to back on this machine and prints
the ratios (downhill / PyTorch, oriented so that > 1 means downhill is better).

Usage: python3 tools/bench_compare.py [--bin target/release/downhill] [--markdown FILE]
                                      [--torch-json FILE] [--downhill-json FILE] [--rounds N]

With `--rounds N` both sides run N times, interleaved (the side that goes first alternates), and
each cell is the median of its N values with the range beside it; the ratio is the ratio of the
medians, and the per-round ratios are printed below the table. The host this was developed on
switches between two speed modes on a scale of seconds to minutes, so one round can land each
side in a different mode; several rounds show the spread instead of hiding it.

PyTorch's peak RSS is measured in a separate process that trains only the MLP 784-512-256-10
(the anchor reports none); downhill reports its own `peak_rss_mb` after the same workload.
"""
import argparse, datetime, json, os, platform, statistics, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ANCHOR = os.environ.get("TORCH_ANCHOR", "/work/shared/anchors/torch_anchor.py")

TORCH_RSS = r"""
import resource, time, torch, torch.nn as nn
torch.manual_seed(0)
m = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
opt = torch.optim.Adam(m.parameters(), lr=1e-3)
xb = torch.randn(128, 784); yb = torch.randint(0, 10, (128,)); lossf = nn.CrossEntropyLoss()
t_end = time.perf_counter() + 2.0
while time.perf_counter() < t_end:
    opt.zero_grad(set_to_none=True); lossf(m(xb), yb).backward(); opt.step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0)
"""

# The anchor's tiny-MLP workload alone: on a loaded 2-core machine PyTorch's 2 worker threads
# sometimes stall and a whole run reports ~10 steps/s instead of ~1,500, so the script also
# reports the median of three separate processes.
TORCH_TINY = r"""
import time, torch, torch.nn as nn
torch.manual_seed(0)
m = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 2))
opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
xb = torch.randn(32, 2); yb = torch.randint(0, 2, (32,)); lossf = nn.CrossEntropyLoss()
def step():
    opt.zero_grad(set_to_none=True); lossf(m(xb), yb).backward(); opt.step()
for _ in range(5): step()
ts = []; t_end = time.perf_counter() + 2.0
while len(ts) < 30 or time.perf_counter() < t_end:
    t0 = time.perf_counter(); step(); ts.append(time.perf_counter() - t0)
ts.sort(); print(1 / ts[len(ts) // 2])
"""

# key, label, higher is better
ROWS = [
    ("gemm_gflops", "GEMM 1024³ (GFLOP/s)", True),
    ("stream_copy_gbs", "stream copy (GB/s)", True),
    ("stream_triad_gbs", "stream triad (GB/s)", True),
    ("adam10m_fused_ms", "Adam step, 10M params (ms)", False),
    ("mlp_mnist_samples_per_s", "MLP 784-512-256-10, Adam (samples/s)", True),
    ("mlp_tiny_steps_per_s", "MLP 2-32-32-2 tanh, SGD (steps/s)", True),
    ("mlp_tiny_steps_per_s_separate", "… PyTorch: median of 3 separate runs", True),
    ("bn_mlp_samples_per_s", "BN-MLP + dropout, Adam (samples/s)", True),
    ("peak_rss_mb", "peak RSS training the MLP (MiB)", False),
]
GOALS = {
    "mlp_mnist_samples_per_s": 1.3,
    "mlp_tiny_steps_per_s": 50.0,
    "mlp_tiny_steps_per_s_separate": 50.0,
    "bn_mlp_samples_per_s": 1.3,
    "adam10m_fused_ms": 1.0,
    "peak_rss_mb": 5.0,
}


def run_json(cmd, env=None):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def machine():
    model = "unknown"
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return model, os.cpu_count()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "downhill"))
    ap.add_argument("--markdown", help="also write the table to this markdown file")
    ap.add_argument("--torch-json", help="reuse saved anchor output instead of running it")
    ap.add_argument("--downhill-json", help="reuse saved `downhill bench --json` output")
    ap.add_argument("--rounds", type=int, default=1,
                    help="run both sides this many times, interleaved, and report medians")
    a = ap.parse_args()

    def run_downhill():
        if a.downhill_json:
            return json.load(open(a.downhill_json))
        return run_json([a.bin, "bench", "--json"])

    def run_torch():
        if a.torch_json:
            return json.load(open(a.torch_json))
        th = run_json([sys.executable, ANCHOR, "--json"])
        th["peak_rss_mb"] = float(
            subprocess.run([sys.executable, "-c", TORCH_RSS], check=True, capture_output=True,
                           text=True).stdout.strip())
        tiny = sorted(
            float(subprocess.run([sys.executable, "-c", TORCH_TINY], check=True,
                                 capture_output=True, text=True).stdout.strip())
            for _ in range(3))
        th["mlp_tiny_steps_per_s_separate"] = tiny[1]
        return th

    dhs, ths = [], []
    for r in range(max(1, a.rounds)):
        if r % 2 == 0:
            dhs.append(run_downhill()); ths.append(run_torch())
        else:
            ths.append(run_torch()); dhs.append(run_downhill())
    for dh in dhs:
        dh.setdefault("mlp_tiny_steps_per_s_separate", dh.get("mlp_tiny_steps_per_s"))
    for th in ths:
        if th.get("adam10m_fused_ms") is None:
            th["adam10m_fused_ms"] = th.get("adam10m_foreach_ms")

    def med(runs, key):
        vals = [r[key] for r in runs if isinstance(r.get(key), (int, float))]
        return (statistics.median(vals), min(vals), max(vals)) if vals else (None, None, None)

    dh = {k: med(dhs, k)[0] for k, _, _ in ROWS}
    th = {k: med(ths, k)[0] for k, _, _ in ROWS}
    dh["threads"], th["threads"], th["torch"] = dhs[0].get("threads"), ths[0].get("threads"), ths[0].get("torch")
    spread = {k: (med(dhs, k), med(ths, k)) for k, _, _ in ROWS}

    model, ncpu = machine()
    lines = [
        f"Date: {datetime.date.today()} · machine: {model}, {ncpu} threads · "
        f"torch {th.get('torch')} with {th.get('threads')} threads · "
        f"downhill with {dh.get('threads')} matmul threads",
        "",
        "| workload | downhill | PyTorch | ratio (>1 = downhill better) | goal | met |",
        "|---|---:|---:|---:|---:|:---:|",
    ]
    for key, label, higher in ROWS:
        d, t = dh.get(key), th.get(key)
        if d is None or t is None or d == 0 or t == 0:
            ratio = None
        else:
            ratio = d / t if higher else t / d
        goal = GOALS.get(key)
        met = "" if goal is None or ratio is None else ("yes" if ratio >= goal else "no")
        fmt = lambda v: "n/a" if v is None else f"{v:,.1f}"
        if len(dhs) > 1:
            (_, dlo, dhi), (_, tlo, thi) = spread[key]
            rng = lambda lo, hi: "" if lo is None else f" ({lo:,.1f}–{hi:,.1f})"
            fmt_d = fmt(d) + rng(dlo, dhi)
            fmt_t = fmt(t) + rng(tlo, thi)
        else:
            fmt_d, fmt_t = fmt(d), fmt(t)
        lines.append(f"| {label} | {fmt_d} | {fmt_t} | "
                     f"{'n/a' if ratio is None else f'{ratio:.2f}x'} | "
                     f"{'' if goal is None else f'≥ {goal}x'} | {met} |")
    if len(dhs) > 1:
        lines.append("")
        lines.append(f"Medians of {len(dhs)} interleaved rounds (range in parentheses). "
                     "Per-round ratios:")
        for key, label, higher in ROWS:
            rs = []
            for d_run, t_run in zip(dhs, ths):
                d, t = d_run.get(key), t_run.get(key)
                if d and t:
                    rs.append(f"{(d / t if higher else t / d):.2f}x")
            if rs:
                lines.append(f"- {label}: {', '.join(rs)}")
    table = "\n".join(lines)
    print(table)
    if a.markdown:
        with open(a.markdown, "a") as f:
            f.write(table + "\n\n")
    print("\nraw downhill:", json.dumps(dhs), file=sys.stderr)
    print("raw torch:", json.dumps(ths), file=sys.stderr)


if __name__ == "__main__":
    main()
