#!/usr/bin/env python3
"""Golden gradient clipping from torch.nn.utils.clip_grad_norm_ / clip_grad_value_ (float64).

Writes crates/downhill-optim/tests/golden/optim_clip.json: for several norm orders and max
norms, the gradients before, the total norm returned and the gradients after.
"""
import json
import math
import os

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(__file__), "../../crates/downhill-optim/tests/golden/optim_clip.json")
SHAPES = [[3], [2, 3], [2, 1, 2]]


def main():
    rng = np.random.default_rng(7)
    cases = []
    for scale in [1e-3, 1.0, 1e4]:
        grads = [(rng.standard_normal(s) * scale).reshape(-1).tolist() for s in SHAPES]
        for norm_type in [2.0, 1.0, 3.0, 0.5, math.inf]:
            for max_norm in [0.01, 1.0, 100.0]:
                ts = [torch.tensor(g, dtype=torch.float64).reshape(s) for g, s in zip(grads, SHAPES)]
                ps = [torch.zeros_like(t, requires_grad=True) for t in ts]
                for p, t in zip(ps, ts):
                    p.grad = t.clone()
                total = torch.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type).item()
                after = [p.grad.reshape(-1).tolist() for p in ps]
                nt = "inf" if math.isinf(norm_type) else norm_type
                cases.append({"kind": "norm", "norm_type": nt, "max_norm": max_norm, "before": grads, "total": total, "after": after})
        for clip in [0.1, 1.0]:
            ps = [torch.zeros(s, dtype=torch.float64, requires_grad=True) for s in SHAPES]
            for p, g, s in zip(ps, grads, SHAPES):
                p.grad = torch.tensor(g, dtype=torch.float64).reshape(s)
            torch.nn.utils.clip_grad_value_(ps, clip)
            cases.append({"kind": "value", "clip_value": clip, "before": grads, "after": [p.grad.reshape(-1).tolist() for p in ps]})
    with open(OUT, "w") as f:
        json.dump({"torch": torch.__version__, "shapes": SHAPES, "cases": cases}, f, separators=(",", ":"))
    print(f"{len(cases)} cases -> {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
