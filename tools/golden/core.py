#!/usr/bin/env python3
"""Golden fixtures for downhill-tensor and downhill-autograd, from PyTorch (and exact arithmetic).

Writes
  crates/downhill-tensor/tests/golden/activations.json
  crates/downhill-tensor/tests/golden/cross_entropy.json
  crates/downhill-autograd/tests/golden/activations.json   (same content as the tensor copy)
  crates/downhill-autograd/tests/golden/cross_entropy.json (same content as the tensor copy)
  crates/downhill-autograd/tests/golden/composite.json

activations.json: sigmoid, tanh, relu, softplus and their derivatives at extreme inputs
(±1000, ±100, ±40, ±20, ±1, ±1e-8, 0), three ways:
  - "torch_f64": PyTorch float64 values and autograd derivatives;
  - "exact": the mathematical value rounded to f64, computed with 60-digit decimal arithmetic
    (independent of PyTorch). PyTorch's tanh' is `1 − tanh²`, which is 0 once tanh rounds to 1
    (|x| ≳ 19) while the true derivative is 4e^{−2|x|}; the exact column holds the latter;
  - "torch_f32": PyTorch float32 values and derivatives at the same inputs.
Softplus: PyTorch's F.softplus switches to the identity above threshold 20 (it returns x), while
downhill's softplus is exact everywhere, so the reference is torch.logaddexp(x, 0) instead.

cross_entropy.json: F.cross_entropy on logits with entries of ±1000 (plus one ordinary row),
for reduction mean/sum and label_smoothing 0/0.1, value and gradient in float64 and float32.

composite.json: L = sum(softplus(tanh(x·W + b)) * c) + 0.5·‖W‖² in float64, with the gradients
with respect to x, W, b and c (softplus again as logaddexp(·, 0)).

Run from anywhere:  python3 tools/golden/core.py
"""
import json
import os
from decimal import Decimal, getcontext

import torch
import torch.nn.functional as F

getcontext().prec = 60
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
TENSOR = os.path.join(ROOT, "crates", "downhill-tensor", "tests", "golden")
AUTOGRAD = os.path.join(ROOT, "crates", "downhill-autograd", "tests", "golden")

XS = [-1000.0, -100.0, -40.0, -20.0, -1.0, -1e-8, 0.0, 1e-8, 1.0, 20.0, 40.0, 100.0, 1000.0]


def softplus_ref(x):
    return torch.logaddexp(x, torch.zeros_like(x))


ACTS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "softplus": softplus_ref,
}


def exact(name, x):
    """(value, derivative) rounded to f64, from 60-digit decimal arithmetic."""
    d = Decimal(x)
    one = Decimal(1)
    if name == "relu":
        return max(x, 0.0), (1.0 if x > 0 else 0.0)  # subgradient 0 at 0, as PyTorch
    if name == "sigmoid":
        e = (-abs(d)).exp()  # e^{-|x|}
        s = one / (one + e) if d >= 0 else e / (one + e)
        return float(s), float(e / (one + e) ** 2)
    if name == "tanh":
        e = (-2 * abs(d)).exp()
        t = (one - e) / (one + e)
        return float(t if d >= 0 else -t), float(4 * e / (one + e) ** 2)
    if name == "softplus":
        # log(1 + e^x) = max(x, 0) + log(1 + e^{-|x|});  derivative σ(x)
        e = (-abs(d)).exp()
        v = max(d, Decimal(0)) + (one + e).ln()
        s = one / (one + e) if d >= 0 else e / (one + e)
        return float(v), float(s)
    raise ValueError(name)


def torch_act(name, dtype):
    x = torch.tensor(XS, dtype=dtype, requires_grad=True)
    y = ACTS[name](x)
    (g,) = torch.autograd.grad(y.sum(), x)
    return [float(v) for v in y.detach()], [float(v) for v in g]


def activations():
    out = {"x": XS, "note": "softplus reference is torch.logaddexp(x, 0), not F.softplus (threshold 20)"}
    for name in ACTS:
        ex = [exact(name, x) for x in XS]
        v64, g64 = torch_act(name, torch.float64)
        v32, g32 = torch_act(name, torch.float32)
        out[name] = {
            "exact": {"value": [e[0] for e in ex], "grad": [e[1] for e in ex]},
            "torch_f64": {"value": v64, "grad": g64},
            "torch_f32": {"value": v32, "grad": g32},
        }
    return out


CE_LOGITS = [
    [1000.0, -1000.0, 0.0],
    [-1000.0, 1000.0, 500.0],
    [1000.0, 1000.0, -1000.0],
    [0.5, -0.3, 0.1],
]
CE_LABELS = [1, 1, 0, 2]


def cross_entropy():
    cases = []
    for reduction in ["mean", "sum"]:
        for smoothing in [0.0, 0.1]:
            case = {"reduction": reduction, "label_smoothing": smoothing}
            for key, dtype in [("f64", torch.float64), ("f32", torch.float32)]:
                z = torch.tensor(CE_LOGITS, dtype=dtype, requires_grad=True)
                y = torch.tensor(CE_LABELS)
                loss = F.cross_entropy(z, y, reduction=reduction, label_smoothing=smoothing)
                (g,) = torch.autograd.grad(loss, z)
                case[key] = {"loss": float(loss.detach()), "grad": [float(v) for v in g.flatten()]}
            cases.append(case)
    z = torch.tensor(CE_LOGITS, dtype=torch.float64)
    per_sample = F.cross_entropy(z, torch.tensor(CE_LABELS), reduction="none")
    return {
        "logits": CE_LOGITS,
        "labels": CE_LABELS,
        "per_sample_f64": [float(v) for v in per_sample],
        "softmax_f64": [float(v) for v in torch.softmax(z, dim=1).flatten()],
        "log_softmax_f64": [float(v) for v in torch.log_softmax(z, dim=1).flatten()],
        "cases": cases,
    }


def composite():
    g = torch.Generator().manual_seed(20261125)
    shapes = {"x": [4, 3], "W": [3, 5], "b": [5], "c": [4, 5]}
    t = {k: (torch.randn(s, generator=g, dtype=torch.float64) * 1.5).requires_grad_() for k, s in shapes.items()}
    h = torch.tanh(t["x"] @ t["W"] + t["b"])
    loss = (softplus_ref(h) * t["c"]).sum() + 0.5 * (t["W"] ** 2).sum()
    grads = torch.autograd.grad(loss, [t[k] for k in shapes])
    return {
        "formula": "sum(softplus(tanh(x @ W + b)) * c) + 0.5 * sum(W^2)",
        "inputs": {k: {"shape": s, "data": [float(v) for v in t[k].detach().flatten()]} for k, s in shapes.items()},
        "loss": float(loss.detach()),
        "grads": {k: [float(v) for v in gr.flatten()] for k, gr in zip(shapes, grads)},
    }


def write(directory, name, obj):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


def main():
    torch.set_printoptions(precision=17)
    act, ce = activations(), cross_entropy()
    for d in (TENSOR, AUTOGRAD):
        write(d, "activations.json", act)
        write(d, "cross_entropy.json", ce)
    write(AUTOGRAD, "composite.json", composite())


if __name__ == "__main__":
    main()
