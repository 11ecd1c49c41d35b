"""PyTorch's time for the workload of crates/downhill-norm/benches/batchnorm.rs.

BatchNorm1d(512), training mode, on x of shape [128, 512] float32 with requires_grad:
forward, then (y * g).sum().backward(). Two threads by default (`--threads N` to change).
Prints the median time per iteration over repeated runs of at least 1 s after warm-up.

Run:  python3 tools/golden/norm_bench.py
"""
import argparse
import statistics
import time

import torch

N, C = 128, 512


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    threads = parser.parse_args().threads
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    bn = torch.nn.BatchNorm1d(C)
    bn.train()
    x = (torch.rand(N, C) * 4 - 2).requires_grad_(True)
    g = torch.rand(N, C) * 4 - 2

    def step():
        x.grad = None
        bn.weight.grad = None
        bn.bias.grad = None
        y = bn(x)
        (y * g).sum().backward()

    for _ in range(200):
        step()
    runs = []
    for _ in range(7):
        iters, start = 0, time.perf_counter()
        while time.perf_counter() - start < 1.0:
            step()
            iters += 1
        runs.append((time.perf_counter() - start) / iters)
    med = statistics.median(runs)
    print(f"torch {torch.__version__} BatchNorm1d [128, 512] f32 train forward+mul+sum+backward, "
          f"{threads} threads: median {med * 1e6:.1f} us/iter "
          f"({N * C / med / 1e9:.3f} Gelem/s; runs {[round(r * 1e6, 1) for r in runs]})")


if __name__ == "__main__":
    main()
