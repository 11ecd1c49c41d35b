#!/usr/bin/env python3
"""Golden Lion and LAMB trajectories from optax (PyTorch has neither), in float64.

Writes crates/downhill-optim/tests/golden/optim_optax.json in the format of optim.py (same
shapes and initial values; a gradient sequence without missing gradients, since optax updates
every leaf). Hyperparameters are in downhill's `Hyper` form: `betas` = (b1, b2).
"""
import json
import os

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402

from optim import SHAPES, gradient_sequence, initial_params  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "../../crates/downhill-optim/tests/golden/optim_optax.json")

CASES = [
    ("lion", {"lr": 1e-3}),
    ("lion", {"lr": 0.01, "betas": [0.95, 0.98], "weight_decay": 0.1}),
    ("lion", {"lr": 0.003, "weight_decay": 0.0}),
    ("lamb", {"lr": 0.01}),
    ("lamb", {"lr": 0.01, "weight_decay": 0.1}),
    ("lamb", {"lr": 0.05, "betas": [0.8, 0.99], "eps": 1e-4, "weight_decay": 0.01}),
]


def make(name, h):
    b1, b2 = h.get("betas", [0.9, 0.99] if name == "lion" else [0.9, 0.999])
    if name == "lion":
        return optax.lion(h["lr"], b1=b1, b2=b2, weight_decay=h.get("weight_decay", 1e-3))
    return optax.lamb(h["lr"], b1=b1, b2=b2, eps=h.get("eps", 1e-6), weight_decay=h.get("weight_decay", 0.0))


def run(name, h, init, grads):
    params = [jnp.asarray(v, dtype=jnp.float64).reshape(s) for v, s in zip(init, SHAPES)]
    opt = make(name, h)
    state = opt.init(params)
    traj = []
    for step in grads:
        g = [jnp.asarray(v, dtype=jnp.float64).reshape(s) for v, s in zip(step, SHAPES)]
        updates, state = opt.update(g, state, params)
        params = optax.apply_updates(params, updates)
        traj.append([float(x) for p in params for x in p.reshape(-1).tolist()])
    return traj


def main():
    init, grads = initial_params(), gradient_sequence(allow_none=False)
    cases = [{"optimizer": n, "hyper": h, "trajectory": run(n, h, init, grads)} for n, h in CASES]
    doc = {"optax": optax.__version__, "shapes": SHAPES, "init": init, "grads": grads, "cases": cases}
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    print(f"{len(cases)} cases -> {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
