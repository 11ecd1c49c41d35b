#!/usr/bin/env python3
"""Check that a downhill checkpoint loads into the equivalent torch.nn.Sequential.

Runs `cargo run --release -p downhill --example export_for_torch -- DIR`, which trains a small
Sequential (Linear, BatchNorm1d, activations, Dropout) briefly and writes DIR/checkpoint.safetensors
and DIR/io.safetensors (inputs and downhill's evaluation-mode outputs). Then builds the
nn.Sequential that the spec in the safetensors metadata key "downhill.spec" describes, loads the
checkpoint with load_state_dict(strict=True), runs it in eval mode and compares the outputs to
downhill's (max abs difference <= 1e-5). Prints PASS or FAIL; exits 0 on PASS.

Usage: python3 tools/torch_checkpoint.py [--no-build DIR]
Needs: torch, numpy, safetensors (`pip install safetensors`).
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file

TOLERANCE = 1e-5
ROOT = Path(__file__).resolve().parent.parent


def activation(spec):
    """The torch module for a downhill activation spec like {"relu": null}."""
    (name, arg), = ((k, v) for k, v in spec.items() if k != "layer")
    if name == "relu":
        return torch.nn.ReLU()
    if name == "tanh":
        return torch.nn.Tanh()
    if name == "sigmoid":
        return torch.nn.Sigmoid()
    if name == "softplus":
        return torch.nn.Softplus()
    if name == "leaky_relu":
        return torch.nn.LeakyReLU(arg["slope"])
    raise ValueError(f"unknown activation {name!r}")


def build(spec):
    """nn.Sequential equivalent to a downhill NetSpec (float32)."""
    width = spec["input"]
    layers = []
    for layer in spec["layers"]:
        kind = layer["layer"]
        if kind == "linear":
            layers.append(torch.nn.Linear(width, layer["out"], bias=layer.get("bias", True)))
            width = layer["out"]
        elif kind == "batch_norm":
            layers.append(torch.nn.BatchNorm1d(width, eps=layer["eps"], momentum=layer["momentum"]))
        elif kind == "layer_norm":
            layers.append(torch.nn.LayerNorm(width, eps=layer["eps"]))
        elif kind == "dropout":
            layers.append(torch.nn.Dropout(layer["p"]))
        elif kind == "activation":
            layers.append(activation(layer))
        elif kind == "flatten":
            layers.append(torch.nn.Flatten())
        elif kind == "gaussian_noise":
            layers.append(torch.nn.Identity())  # identity in evaluation mode
        else:
            raise ValueError(f"unknown layer {kind!r}")
    return torch.nn.Sequential(*layers)


def main():
    args = sys.argv[1:]
    tmp = None
    if args[:1] == ["--no-build"]:
        out = Path(args[1])
    else:
        tmp = tempfile.TemporaryDirectory()
        out = Path(tmp.name)
        cmd = ["cargo", "run", "--release", "-q", "-p", "downhill", "--example",
               "export_for_torch", "--", str(out)]
        print("running:", " ".join(cmd), flush=True)
        subprocess.run(cmd, cwd=ROOT, check=True)
    ck = out / "checkpoint.safetensors"
    with safe_open(str(ck), framework="pt") as f:
        spec = json.loads(f.metadata()["downhill.spec"])
    model = build(spec)
    print(model)
    state = load_file(str(ck))
    result = model.load_state_dict(state, strict=True)
    print("load_state_dict(strict=True):", result)
    model.eval()
    io = load_file(str(out / "io.safetensors"))
    with torch.no_grad():
        got = model(io["inputs"])
    want = io["outputs"]
    diff = (got - want).abs().max().item()
    print(f"outputs {tuple(got.shape)}, max |torch - downhill| = {diff:.3e} (tolerance {TOLERANCE})")
    same_argmax = bool((got.argmax(1) == want.argmax(1)).all())
    ok = diff <= TOLERANCE and same_argmax
    print("PASS" if ok else "FAIL")
    if tmp is not None:
        tmp.cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
