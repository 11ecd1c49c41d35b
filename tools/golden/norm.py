"""Golden fixtures for downhill-norm: PyTorch's BatchNorm1d/2d and LayerNorm in float64.

Run from the repository root:  python3 tools/golden/norm.py
Writes crates/downhill-norm/tests/golden/norm.json. Each batch-norm case runs several steps
(training steps, then an evaluation step) on one module; each step records the input x, the
upstream gradient g, the output y = bn(x), the gradients of sum(y * g) with respect to x,
weight and bias, and the running statistics after the step.
"""
import json
import os

import torch

torch.manual_seed(20151)
torch.set_default_dtype(torch.float64)

OUT = os.path.join("crates", "downhill-norm", "tests", "golden", "norm.json")


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def bn_case(name, kind, shape, momentum, affine=True, track=True, eps=1e-5, modes=None):
    c = shape[1]
    cls = {"1d": torch.nn.BatchNorm1d, "2d": torch.nn.BatchNorm2d}[kind]
    bn = cls(c, eps=eps, momentum=momentum, affine=affine, track_running_stats=track)
    if affine:
        with torch.no_grad():
            bn.weight.copy_(torch.rand(c) + 0.5)
            bn.bias.copy_(torch.randn(c))
    case = {
        "name": name, "kind": kind, "shape": list(shape), "momentum": momentum,
        "affine": affine, "track_running_stats": track, "eps": eps,
        "weight": flat(bn.weight) if affine else None,
        "bias": flat(bn.bias) if affine else None,
        "steps": [],
    }
    for mode in modes or ["train", "train", "train", "eval"]:
        bn.train(mode == "train")
        x = (torch.randn(*shape) * 2.0 + 0.7).requires_grad_(True)
        g = torch.randn(*shape)
        if affine:
            bn.weight.grad = None
            bn.bias.grad = None
        y = bn(x)
        (y * g).sum().backward()
        step = {"mode": mode, "x": flat(x), "g": flat(g), "y": flat(y), "dx": flat(x.grad)}
        if affine:
            step["dweight"] = flat(bn.weight.grad)
            step["dbias"] = flat(bn.bias.grad)
        if track:
            step["running_mean"] = flat(bn.running_mean)
            step["running_var"] = flat(bn.running_var)
            step["num_batches_tracked"] = int(bn.num_batches_tracked)
        case["steps"].append(step)
    return case


def ln_case(name, shape, normalized_shape, affine=True, bias=True, eps=1e-5):
    ln = torch.nn.LayerNorm(normalized_shape, eps=eps, elementwise_affine=affine, bias=bias)
    if affine:
        with torch.no_grad():
            ln.weight.copy_(torch.rand(*normalized_shape) + 0.5)
            if bias:
                ln.bias.copy_(torch.randn(*normalized_shape))
    x = (torch.randn(*shape) * 3.0 - 1.0).requires_grad_(True)
    g = torch.randn(*shape)
    y = ln(x)
    (y * g).sum().backward()
    has_bias = affine and bias
    return {
        "name": name, "shape": list(shape), "normalized_shape": list(normalized_shape),
        "elementwise_affine": affine, "bias": bias, "eps": eps,
        "weight": flat(ln.weight) if affine else None,
        "bias_value": flat(ln.bias) if has_bias else None,
        "x": flat(x), "g": flat(g), "y": flat(y), "dx": flat(x.grad),
        "dweight": flat(ln.weight.grad) if affine else None,
        "dbias": flat(ln.bias.grad) if has_bias else None,
    }


def main():
    bn = []
    for momentum in [0.1, 0.5, None]:
        m = "none" if momentum is None else str(momentum)
        bn.append(bn_case(f"1d_nc_m{m}", "1d", (8, 5), momentum))
        bn.append(bn_case(f"1d_ncl_m{m}", "1d", (4, 3, 6), momentum))
        bn.append(bn_case(f"2d_nchw_m{m}", "2d", (3, 4, 2, 5), momentum))
    bn.append(bn_case("1d_nc_no_affine", "1d", (6, 4), 0.1, affine=False))
    bn.append(bn_case("2d_nchw_no_affine", "2d", (2, 3, 3, 2), 0.1, affine=False))
    bn.append(bn_case("1d_nc_no_track", "1d", (7, 3), 0.1, track=False))
    bn.append(bn_case("2d_nchw_no_track_no_affine", "2d", (2, 2, 2, 3), 0.1, affine=False, track=False))
    bn.append(bn_case("1d_ncl_eps0.1_eval_first", "1d", (5, 2, 3), 0.3, eps=0.1,
                      modes=["eval", "train", "eval", "train", "eval"]))
    bn.append(bn_case("1d_nc_two_rows", "1d", (2, 6), 0.1))
    ln = [
        ln_case("last_dim", (4, 6), (6,)),
        ln_case("last_two_dims", (2, 3, 4), (3, 4)),
        ln_case("no_affine", (3, 5), (5,), affine=False),
        ln_case("no_bias", (2, 2, 7), (7,), bias=False),
        ln_case("eps0.5_whole", (3, 2, 2), (3, 2, 2), eps=0.5),
    ]
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"torch": torch.__version__, "batch_norm": bn, "layer_norm": ln}, f)
    print(f"wrote {OUT}: {len(bn)} batch-norm cases, {len(ln)} layer-norm cases")


if __name__ == "__main__":
    main()
