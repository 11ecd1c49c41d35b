#!/usr/bin/env python3
"""Golden fixture for downhill-init: PyTorch's bounds and standard deviations per scheme.

Writes crates/downhill-init/tests/golden/init.json. For each (scheme, shape, mode) case it
records the theoretical std and bound exactly as torch.nn.init computes them (using PyTorch's
own fan and gain helpers and the same order of operations as its source), and the empirical
std / max |x| of REPEATS tensors actually drawn by torch.nn.init, with the sample size, so the
Rust tests can compare theory exactly and PyTorch's samples statistically.

Run from the workspace root:  python3 tools/golden/init.py
"""
import json
import math
import os

import torch
from torch.nn import init

torch.manual_seed(0)
REPEATS = 50
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "crates", "downhill-init", "tests", "golden", "init.json")
SHAPES = [[64, 32], [32, 64], [16, 8, 3, 3], [100, 1]]
NONLINS = [("relu", None), ("leaky_relu", 0.2), ("tanh", None), ("linear", None), ("selu", None), ("sigmoid", None)]


def fans(shape):
    return init._calculate_fan_in_and_fan_out(torch.empty(shape))


def draw(fn, shape):
    xs = []
    for _ in range(REPEATS):
        t = torch.empty(shape, dtype=torch.float64)
        fn(t)
        xs.append(t.flatten())
    x = torch.cat(xs)
    return {"n": x.numel(), "torch_std": x.std(unbiased=False).item(), "torch_mean": x.mean().item(),
            "torch_max_abs": x.abs().max().item()}


def case(name, shape, std, bound, fn, mean=0.0):
    c = {"init": name, "shape": shape, "mean": mean, "std": std, "bound": bound}
    c.update(draw(fn, shape))
    return c


def kaiming_cases(shape):
    out = []
    for dist in ("uniform", "normal"):
        for mode in ("fan_in", "fan_out"):
            for nl, a in NONLINS:
                fan = init._calculate_correct_fan(torch.empty(shape), mode)
                gain = init.calculate_gain(nl, a if a is not None else 0)
                std = gain / math.sqrt(fan)
                params = [f"mode={mode}"] if mode != "fan_in" else []
                if nl != "relu":
                    params.append(f"nonlinearity={nl}")
                if a is not None:
                    params.append(f"a={a}")
                name = f"he_{dist}" + (f"({', '.join(params)})" if params else "")
                kw = dict(a=a or 0, mode=mode, nonlinearity=nl)
                if dist == "uniform":
                    out.append(case(name, shape, std, math.sqrt(3.0) * std, lambda t, kw=kw: init.kaiming_uniform_(t, **kw)))
                else:
                    out.append(case(name, shape, std, None, lambda t, kw=kw: init.kaiming_normal_(t, **kw)))
    return out


def shape_cases(shape):
    fan_in, fan_out = fans(shape)
    rows = shape[0]
    cols = math.prod(shape) // rows
    out = kaiming_cases(shape)
    for gain in (1.0, 5.0 / 3):
        g = "" if gain == 1.0 else f"(gain={gain!r})"
        std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
        out.append(case("xavier_uniform" + g, shape, std, math.sqrt(3.0) * std, lambda t, gain=gain: init.xavier_uniform_(t, gain)))
        out.append(case("xavier_normal" + g, shape, std, None, lambda t, gain=gain: init.xavier_normal_(t, gain)))
        out.append(case("orthogonal" + g, shape, gain / math.sqrt(max(rows, cols)), gain,
                        lambda t, gain=gain: init.orthogonal_(t, gain)))
    lecun = 1.0 / math.sqrt(fan_in)
    out.append(case("lecun_uniform", shape, lecun, math.sqrt(3.0) * lecun,
                    lambda t: init.kaiming_uniform_(t, nonlinearity="linear")))
    out.append(case("lecun_normal", shape, lecun, None, lambda t: init.kaiming_normal_(t, nonlinearity="linear")))
    # nn.Linear.reset_parameters: kaiming_uniform_(weight, a=math.sqrt(5)).
    gain = init.calculate_gain("leaky_relu", math.sqrt(5))
    bound = math.sqrt(3.0) * (gain / math.sqrt(fan_in))
    out.append(case("pytorch_default", shape, gain / math.sqrt(fan_in), bound,
                    lambda t: init.kaiming_uniform_(t, a=math.sqrt(5))))
    return out


def plain_cases():
    shape = [64, 32]
    out = [
        case("uniform(a=-0.5, b=2)", shape, 2.5 / math.sqrt(12.0), 2.0, lambda t: init.uniform_(t, -0.5, 2.0), 0.75),
        case("normal(mean=0.5, std=2)", shape, 2.0, None, lambda t: init.normal_(t, 0.5, 2.0), 0.5),
        case("small_normal", shape, 0.01, None, lambda t: init.normal_(t, 0.0, 0.01)),
    ]
    for mean, std, a, b in [(0.0, 1.0, -2.0, 2.0), (0.0, 1.0, -0.5, 1.0), (1.0, 2.0, 0.0, 3.0), (0.0, 0.02, -2.0, 2.0)]:
        al, be = (a - mean) / std, (b - mean) / std
        phi = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)
        cdf = lambda x: (1 + math.erf(x / math.sqrt(2))) / 2
        z = cdf(be) - cdf(al)
        shift = (phi(al) - phi(be)) / z
        var = std * std * (1 + (al * phi(al) - be * phi(be)) / z - shift * shift)
        name = f"truncated_normal(mean={mean!r}, std={std!r}, a={a!r}, b={b!r})"
        c = case(name, shape, math.sqrt(var), max(abs(a), abs(b)),
                 lambda t, p=(mean, std, a, b): init.trunc_normal_(t, *p))
        c["lower"], c["upper"], c["mean"] = a, b, mean + std * shift
        out.append(c)
    return out


def gains():
    return [{"nonlinearity": nl, "param": p, "gain": init.calculate_gain(nl, p)}
            for nl, p in [("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None), ("selu", None),
                          ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 0.0), ("leaky_relu", math.sqrt(5))]]


def main():
    cases = plain_cases()
    for shape in SHAPES:
        cases += shape_cases(shape)
    fan_table = [{"shape": s, "fan_in": fans(s)[0], "fan_out": fans(s)[1]} for s in SHAPES + [[3, 5, 7], [2, 3, 4, 5, 6]]]
    doc = {"torch_version": torch.__version__, "repeats": REPEATS, "gains": gains(), "fans": fan_table, "cases": cases}
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
