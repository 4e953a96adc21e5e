"""The official optimiser: TF1 Adam and TF's global-norm clipping (v0.0.6 `train_util.get_train_op`).

`tf.compat.v1.train.AdamOptimizer` puts epsilon outside the bias correction::

    lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
    w   -= lr_t * m / (sqrt(v) + eps)

while `torch.optim.Adam` divides by ``sqrt(v / (1 - beta2^t)) + eps``; the two differ wherever
``sqrt(v)`` is near eps (early steps, rarely-used weights). TF also holds the learning rate,
beta1, beta2, epsilon and the running powers beta^t as float32 values (cast to the weights' dtype
in the update), so 0.9 is 0.89999998; that is kept too, which makes a float64 run follow the
official float64 graph to round-off. `clip_by_global_norm` scales every
gradient by ``clip / max(norm, clip)``, with no epsilon, where `torch.nn.utils.clip_grad_norm_`
uses ``clip / (norm + 1e-6)``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import torch
from torch import Tensor

__all__ = ["TFAdam", "clip_by_global_norm"]


class TFAdam(torch.optim.Optimizer):
    """Adam exactly as TF1's ``AdamOptimizer`` (beta1 0.9, beta2 0.999, epsilon 1e-8 by default)."""

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        if lr < 0 or eps < 0 or not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"invalid Adam settings: lr {lr}, betas {betas}, eps {eps}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

    @torch.no_grad()
    def step(self, closure=None):  # noqa: D102
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            beta1, beta2, eps, lr = (np.float32(x) for x in (*group["betas"], group["eps"], group["lr"]))
            m, v = [], []
            for p in params:
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["m"] = torch.zeros_like(p)
                    state["v"] = torch.zeros_like(p)
                    # float32 values, as TF's beta1_power / beta2_power; kept as Python floats so that
                    # checkpoints hold no numpy objects (weights-only loading refuses those)
                    state["beta_powers"] = (float(beta1), float(beta2))
                state["step"] += 1
                m.append(state["m"])
                v.append(state["v"])
            power1, power2 = self.state[params[0]]["beta_powers"]
            grads = [p.grad for p in params]
            torch._foreach_lerp_(m, grads, 1 - float(beta1))
            torch._foreach_mul_(v, float(beta2))
            torch._foreach_addcmul_(v, grads, grads, value=1 - float(beta2))
            lr_t = float(lr) * math.sqrt(1 - float(power2)) / (1 - float(power1))
            denom = torch._foreach_sqrt(v)
            torch._foreach_add_(denom, float(eps))
            torch._foreach_addcdiv_(params, m, denom, value=-lr_t)
            powers = (float(np.float32(power1) * beta1), float(np.float32(power2) * beta2))
            for p in params:
                self.state[p]["beta_powers"] = powers
        return loss


def clip_by_global_norm(parameters: Iterable[Tensor], clip_norm: float) -> Tensor:
    """Scale gradients in place by ``clip / max(global_norm, clip)``; returns the global norm."""
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.zeros(())
    norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
    scale = clip_norm / torch.maximum(norm, torch.as_tensor(clip_norm, dtype=norm.dtype, device=norm.device))
    torch._foreach_mul_(grads, scale)
    return norm
