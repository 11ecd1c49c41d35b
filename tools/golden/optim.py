#!/usr/bin/env python3
"""Golden optimizer trajectories from PyTorch, in float64, for crates/downhill-optim/tests.

Writes crates/downhill-optim/tests/golden/optim_torch.json. Every case steps three parameters
of different shapes with one shared gradient sequence (zeros, tiny and huge values, and steps
where a parameter has no gradient) for STEPS steps and records all parameters after each step.
Hyperparameters are written in downhill's `Hyper` form (PyTorch names), so the Rust test builds
each case with `by_name`. Parameter 2 is in group 1 when a case has `groups`.
"""
import json
import os

import numpy as np
import torch

torch.set_default_dtype(torch.float64)  # also makes NAdam's mu_product float64
SHAPES = [[3], [2, 3], [2, 1, 2]]
STEPS = 32
OUT = os.path.join(os.path.dirname(__file__), "../../crates/downhill-optim/tests/golden/optim_torch.json")


def gradient_sequence(seed=0, allow_none=True):
    rng = np.random.default_rng(seed)
    seq = []
    for t in range(STEPS):
        step = []
        for i, shape in enumerate(SHAPES):
            g = rng.standard_normal(shape)
            if t == 4:
                g = np.zeros(shape)
            elif t == 9:
                g = g * 1e-30
            elif t == 14:
                g = g * 1e6
            elif t == 20 and i == 1:
                g = g * 1e-12
            if i == 0 and t % 5 == 2:
                g.flat[0] = 0.0
            if allow_none and ((i == 2 and t in (0, 7, 8, 25)) or (i == 1 and t == 18)):
                g = None
            step.append(None if g is None else g.reshape(-1).tolist())
        seq.append(step)
    return seq


def initial_params(seed=1):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).reshape(-1).tolist() for s in SHAPES]


CASES = [
    ("sgd", {"lr": 0.1}, []),
    ("sgd", {"lr": 0.05, "momentum": 0.9}, []),
    ("sgd", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}, []),
    ("sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}, []),
    ("sgd", {"lr": 0.05, "momentum": 0.5, "maximize": True}, []),
    ("sgd", {"lr": 0.05, "momentum": 0.9}, [{"lr": 0.2, "weight_decay": 0.5}]),
    ("adagrad", {"lr": 0.1}, []),
    ("adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1, "initial_accumulator_value": 0.5}, []),
    ("adagrad", {"lr": 0.1, "eps": 1e-6, "maximize": True}, [{"lr": 0.01}]),
    ("adadelta", {}, []),
    ("adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1}, []),
    ("adadelta", {"maximize": True}, [{"weight_decay": 0.2}]),
    ("rmsprop", {}, []),
    ("rmsprop", {"momentum": 0.9}, []),
    ("rmsprop", {"centered": True}, []),
    ("rmsprop", {"centered": True, "momentum": 0.5, "weight_decay": 0.1, "alpha": 0.9}, []),
    ("rmsprop", {"lr": 0.001, "maximize": True, "eps": 1e-3}, [{"lr": 0.05}]),
    ("adam", {"lr": 0.01}, []),
    ("adam", {"lr": 0.01, "amsgrad": True}, []),
    ("adam", {"lr": 0.01, "weight_decay": 0.1}, []),
    ("adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}, []),
    ("adam", {"lr": 0.02, "betas": [0.8, 0.99], "eps": 1e-6, "amsgrad": True, "maximize": True}, []),
    ("adam", {"lr": 0.01}, [{"lr": 0.1, "weight_decay": 0.3}]),
    ("adamw", {"lr": 0.01}, []),
    ("adamw", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}, []),
    ("adamw", {"lr": 0.01}, [{"lr": 0.003, "weight_decay": 0.0}]),
    ("nadam", {}, []),
    ("nadam", {"weight_decay": 0.1}, []),
    ("nadam", {"weight_decay": 0.1, "decoupled_weight_decay": True, "momentum_decay": 0.01}, []),
    ("nadam", {"lr": 0.01, "betas": [0.95, 0.99], "maximize": True}, [{"lr": 0.001}]),
    ("radam", {}, []),
    ("radam", {"weight_decay": 0.1}, []),
    ("radam", {"weight_decay": 0.1, "decoupled_weight_decay": True, "betas": [0.9, 0.99]}, []),
    ("radam", {"lr": 0.01, "maximize": True}, [{"lr": 0.1}]),
    ("adamax", {}, []),
    ("adamax", {"weight_decay": 0.1, "betas": [0.8, 0.99], "eps": 1e-6}, []),
    ("adamax", {"maximize": True}, [{"lr": 0.02, "weight_decay": 0.05}]),
]

TORCH = {
    "sgd": torch.optim.SGD,
    "adagrad": torch.optim.Adagrad,
    "adadelta": torch.optim.Adadelta,
    "rmsprop": torch.optim.RMSprop,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "nadam": torch.optim.NAdam,
    "radam": torch.optim.RAdam,
    "adamax": torch.optim.Adamax,
}


def run(name, hyper, groups, init, grads):
    params = [torch.tensor(v).reshape(s).requires_grad_() for v, s in zip(init, SHAPES)]
    kw = {k: (tuple(v) if k == "betas" else v) for k, v in hyper.items()}
    if groups:
        param_groups = [{"params": params[:2]}, dict({"params": params[2:]}, **groups[0])]
    else:
        param_groups = [{"params": params}]
    opt = TORCH[name](param_groups, **kw)
    traj = []
    for step in grads:
        for p, g, s in zip(params, step, SHAPES):
            p.grad = None if g is None else torch.tensor(g).reshape(s)
        opt.step()
        traj.append([x for p in params for x in p.detach().reshape(-1).tolist()])
    return traj


def main():
    init, grads = initial_params(), gradient_sequence()
    cases = []
    for name, hyper, groups in CASES:
        h = dict(hyper, groups=groups)
        cases.append({"optimizer": name, "hyper": h, "trajectory": run(name, hyper, groups, init, grads)})
    doc = {"torch": torch.__version__, "shapes": SHAPES, "init": init, "grads": grads, "cases": cases}
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    print(f"{len(cases)} cases -> {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
