#!/usr/bin/env python3
"""Golden learning-rate schedules from torch.optim.lr_scheduler, for crates/downhill-optim/tests.

Writes crates/downhill-optim/tests/golden/optim_schedules.json. Each case builds a schedule on
an optimizer with two parameter groups (lr 0.1 and 0.03), steps it STEPS times and records
each group's lr (and momentum or beta1) right after construction and after every step. Configs
are in downhill's `ScheduleConfig` JSON form.
"""
import json
import math
import os

import torch

STEPS = 120
OUT = os.path.join(os.path.dirname(__file__), "../../crates/downhill-optim/tests/golden/optim_schedules.json")
S = torch.optim.lr_scheduler

CASES = [
    ("sgd", {"name": "steplr", "step_size": 7, "gamma": 0.5}),
    ("sgd", {"name": "multisteplr", "milestones": [10, 30, 30, 80], "gamma": 0.3}),
    ("sgd", {"name": "exponentiallr", "gamma": 0.97}),
    ("sgd", {"name": "cosineannealinglr", "t_max": 25, "eta_min": 0.001}),
    ("sgd", {"name": "cosineannealinglr", "t_max": 100}),
    ("sgd", {"name": "cosineannealingwarmrestarts", "t_0": 10, "t_mult": 2, "eta_min": 0.0005}),
    ("sgd", {"name": "cosineannealingwarmrestarts", "t_0": 7}),
    ("sgd", {"name": "linearlr", "start_factor": 0.1, "end_factor": 1.0, "total_iters": 15}),
    ("sgd", {"name": "linearlr"}),
    ("sgd", {"name": "linearlr", "start_factor": 1.0, "end_factor": 0.05, "total_iters": 90}),
    ("sgd", {"name": "onecyclelr", "max_lr": [0.5, 0.2], "total_steps": 130}),
    ("sgd", {"name": "onecyclelr", "max_lr": [0.4], "total_steps": 121, "anneal_strategy": "linear",
             "three_phase": True, "base_momentum": 0.8, "max_momentum": 0.9}),
    ("adam", {"name": "onecyclelr", "max_lr": [0.01, 0.003], "total_steps": 125, "pct_start": 0.25,
              "div_factor": 10.0, "final_div_factor": 100.0}),
    ("sgd", {"name": "onecyclelr", "max_lr": [0.3], "total_steps": 121, "cycle_momentum": False}),
    ("sgd", {"name": "reducelronplateau", "patience": 3}),
    ("sgd", {"name": "reducelronplateau", "mode": "max", "threshold_mode": "abs", "threshold": 0.01,
             "cooldown": 2, "patience": 2, "factor": 0.5, "min_lr": 0.004}),
    ("sgd", {"name": "reducelronplateau", "mode": "min", "threshold_mode": "abs", "threshold": 0.001,
             "cooldown": 1, "patience": 4, "factor": 0.7, "eps": 1e-3}),
    ("sgd", {"name": "sequentiallr", "milestones": [5],
             "schedulers": [{"name": "linearlr", "start_factor": 0.2, "total_iters": 5},
                            {"name": "cosineannealinglr", "t_max": 100}]}),
    ("sgd", {"name": "sequentiallr", "milestones": [10, 60],
             "schedulers": [{"name": "linearlr", "start_factor": 0.01, "end_factor": 1.0, "total_iters": 10},
                            {"name": "exponentiallr", "gamma": 0.95},
                            {"name": "steplr", "step_size": 9, "gamma": 0.5}]}),
    ("sgd", {"name": "sequentiallr", "milestones": [20],
             "schedulers": [{"name": "cosineannealingwarmrestarts", "t_0": 5},
                            {"name": "multisteplr", "milestones": [0, 40, 70], "gamma": 0.5}]}),
]

PLATEAU_KEYS = ["mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "min_lr", "eps"]


def build(opt, c):
    n = c["name"]
    if n == "steplr":
        return S.StepLR(opt, c["step_size"], c.get("gamma", 0.1))
    if n == "multisteplr":
        return S.MultiStepLR(opt, c["milestones"], c.get("gamma", 0.1))
    if n == "exponentiallr":
        return S.ExponentialLR(opt, c["gamma"])
    if n == "cosineannealinglr":
        return S.CosineAnnealingLR(opt, c["t_max"], c.get("eta_min", 0.0))
    if n == "cosineannealingwarmrestarts":
        return S.CosineAnnealingWarmRestarts(opt, c["t_0"], c.get("t_mult", 1), c.get("eta_min", 0.0))
    if n == "linearlr":
        return S.LinearLR(opt, c.get("start_factor", 1 / 3), c.get("end_factor", 1.0), c.get("total_iters", 5))
    if n == "onecyclelr":
        kw = {k: v for k, v in c.items() if k not in ("name", "max_lr", "total_steps")}
        return S.OneCycleLR(opt, c["max_lr"] if len(c["max_lr"]) > 1 else c["max_lr"][0], c["total_steps"], **kw)
    if n == "reducelronplateau":
        return S.ReduceLROnPlateau(opt, **{k: c[k] for k in PLATEAU_KEYS if k in c})
    if n == "sequentiallr":
        children = [build(opt, ch) for ch in c["schedulers"]]
        return S.SequentialLR(opt, children, c["milestones"])
    raise ValueError(n)


def metric(t):
    """A loss-like metric: improving, noisy, then plateauing (and an accuracy-like mirror)."""
    return 1.0 / (1 + 0.1 * min(t, 40)) + 0.01 * math.sin(1.7 * t)


def record(opt, kind):
    lrs = [g["lr"] for g in opt.param_groups]
    mom = [g["betas"][0] if kind == "adam" else g["momentum"] for g in opt.param_groups]
    return lrs, mom


def run(kind, c):
    p1, p2 = torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)
    groups = [{"params": [p1], "lr": 0.1}, {"params": [p2], "lr": 0.03}]
    opt = torch.optim.SGD(groups, lr=0.1, momentum=0.9) if kind == "sgd" else torch.optim.Adam(groups)
    sched = build(opt, c)
    lrs, moms, metrics = [], [], []
    lr, mom = record(opt, kind)
    lrs.append(lr)
    moms.append(mom)
    for t in range(STEPS):
        opt.step()
        if c["name"] == "reducelronplateau":
            m = metric(t) if c.get("mode", "min") == "min" else 1.0 - metric(t)
            metrics.append(m)
            sched.step(m)
        else:
            sched.step()
        lr, mom = record(opt, kind)
        lrs.append(lr)
        moms.append(mom)
    return {"optimizer": kind, "config": c, "lrs": lrs, "momenta": moms, "metrics": metrics}


def main():
    import warnings

    warnings.simplefilter("ignore")
    cases = [run(k, c) for k, c in CASES]
    with open(OUT, "w") as f:
        json.dump({"torch": torch.__version__, "steps": STEPS, "cases": cases}, f, separators=(",", ":"))
    print(f"{len(cases)} cases -> {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
