"""GRU layers with the official code's two cells.

v0.0.6 builds its RNNs with ``tf.compat.v1.keras.layers.GRU`` under ``disable_v2_behavior``: the
TF1 Keras cell, which the paper's numbers come from (reference 1.3):

    z = hard_sigmoid(x W_z + h U_z + b_z)        hard_sigmoid(a) = clip(0.2 a + 0.5, 0, 1)
    r = hard_sigmoid(x W_r + h U_r + b_r)
    c = tanh(x W_c + (r * h) U_c + b_c)          reset gate applied before the recurrent matmul
    h = z * h + (1 - z) * c

with one bias vector and Keras' gate order (z, r, c) in ``kernel [in, 3H]``,
``recurrent_kernel [H, 3H]`` and ``bias [3H]``; that layout is kept here, so official weights load
without reshuffling. Later releases use the TF2 cell (sigmoid gates, reset after the matmul, two
biases), which is exactly `torch.nn.GRU`; ``cell="v2"`` uses it.

Both recurrences run as one autograd function over the whole sequence: the input projection is
one matrix product over all frames, the recurrent-weight gradients are one product each after the
loop, and nothing is left for autograd to record per frame. On the CPU in float32 the loop itself
is the fused C kernel (`native/gru_kernel.c`: per step one tiled product of the state with the
recurrent kernel, the gates fused into it, and a hand-written backward); elsewhere (GPU, float64,
no compiler, or inside `native.disabled()`) the v1 loop runs in PyTorch and the v2 cell is
`torch.nn.GRU` itself. Both fused cells are checked against step-by-step autograd references.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ddsp_repro import native

__all__ = ["GRU", "GRU_CELLS", "hard_sigmoid"]

GRU_CELLS = ("v1", "v2")


def hard_sigmoid(x: Tensor) -> Tensor:
    """TF1 Keras' ``hard_sigmoid``: ``clip(0.2 x + 0.5, 0, 1)``."""
    return (0.2 * x + 0.5).clamp(0.0, 1.0)


def _previous_states(outputs: Tensor) -> Tensor:
    """``h_{t-1}`` for every step: the outputs shifted one step, the zero state first."""
    return torch.cat([outputs.new_zeros(outputs.shape[0], 1, outputs.shape[2]), outputs[:, :-1]], dim=1)


def _v1_recurrent_kernel_grad(h_prev: Tensor, reset: Tensor, grad_xp: Tensor) -> Tensor:
    """d loss / d recurrent_kernel ``[H, 3H]`` of the v1 cell from every step's ``h_{t-1}``, reset
    gate and pre-activation gradient: two products over all steps (z, r see h; c sees r h)."""
    hidden = h_prev.shape[-1]
    flat = grad_xp.reshape(-1, 3 * hidden)
    return torch.cat(
        [
            h_prev.reshape(-1, hidden).t() @ flat[:, : 2 * hidden],
            (reset * h_prev).reshape(-1, hidden).t() @ flat[:, 2 * hidden :],
        ],
        dim=1,
    )


class _KerasV1Recurrence(torch.autograd.Function):
    """``h_t`` for all t from projected inputs ``xp [batch, T, 3H]`` and ``U [H, 3H]``, h_0 = 0."""

    @staticmethod
    def forward(ctx, xp: Tensor, recurrent_kernel: Tensor) -> Tensor:  # noqa: D102
        batch, n_steps, three_h = xp.shape
        hidden = three_h // 3
        u_zr, u_c = recurrent_kernel[:, : 2 * hidden], recurrent_kernel[:, 2 * hidden :]
        h = xp.new_zeros(batch, hidden)
        outputs = xp.new_empty(batch, n_steps, hidden)
        gates = xp.new_empty(batch, n_steps, 3 * hidden)  # z, r, c after their activations
        pre_zr = xp.new_empty(batch, n_steps, 2 * hidden)  # before the hard sigmoid
        for t in range(n_steps):
            a_zr = torch.addmm(xp[:, t, : 2 * hidden], h, u_zr)
            zr = hard_sigmoid(a_zr)
            z, r = zr[:, :hidden], zr[:, hidden:]
            c = torch.tanh(torch.addmm(xp[:, t, 2 * hidden :], r * h, u_c))
            h = c + z * (h - c)
            outputs[:, t] = h
            gates[:, t, : 2 * hidden] = zr
            gates[:, t, 2 * hidden :] = c
            pre_zr[:, t] = a_zr
        ctx.save_for_backward(recurrent_kernel, outputs, gates, pre_zr)
        return outputs

    @staticmethod
    def backward(ctx, grad_outputs: Tensor) -> tuple[Tensor, Tensor]:  # noqa: D102
        recurrent_kernel, outputs, gates, pre_zr = ctx.saved_tensors
        batch, n_steps, hidden = outputs.shape
        u_zr_t = recurrent_kernel[:, : 2 * hidden].t()
        u_c_t = recurrent_kernel[:, 2 * hidden :].t()
        h_prev_all = _previous_states(outputs)
        # hard_sigmoid' = 0.2 inside (-2.5, 2.5), else 0
        slope = ((pre_zr > -2.5) & (pre_zr < 2.5)).to(outputs.dtype) * 0.2
        grad_xp = outputs.new_empty(batch, n_steps, 3 * hidden)
        grad_outputs = grad_outputs.contiguous()
        dh = outputs.new_zeros(batch, hidden)
        for t in range(n_steps - 1, -1, -1):
            h_prev = h_prev_all[:, t]
            z = gates[:, t, :hidden]
            r = gates[:, t, hidden : 2 * hidden]
            c = gates[:, t, 2 * hidden :]
            dh = dh + grad_outputs[:, t]
            da_c = dh * (1.0 - z) * (1.0 - c * c)
            d_rh = da_c @ u_c_t
            da_z = dh * (h_prev - c) * slope[:, t, :hidden]
            da_r = d_rh * h_prev * slope[:, t, hidden:]
            grad_xp[:, t, :hidden] = da_z
            grad_xp[:, t, hidden : 2 * hidden] = da_r
            grad_xp[:, t, 2 * hidden :] = da_c
            dh = dh * z + d_rh * r + torch.mm(grad_xp[:, t, : 2 * hidden], u_zr_t)
        return grad_xp, _v1_recurrent_kernel_grad(h_prev_all, gates[:, :, hidden : 2 * hidden], grad_xp)


def _use_kernel(*tensors: Tensor) -> bool:
    """Whether the C kernel runs these tensors (CPU float32, kernel available and enabled)."""
    return all(t.device.type == "cpu" and t.dtype == torch.float32 for t in tensors) and (
        native.kernel("gru") is not None
    )


def _run_kernel(function: str, tensors: tuple[Tensor, ...], outputs: Tensor) -> None:
    """Call ``gru_kernel.c``'s `function` on `tensors` (contiguous float32, referenced here for the
    whole call) with the sizes of ``outputs [batch, n_steps, hidden]`` and torch's thread count."""
    batch, n_steps, hidden = outputs.shape
    pointers = [t.data_ptr() for t in tensors]
    getattr(native.load_kernel("gru"), function)(*pointers, batch, n_steps, hidden, torch.get_num_threads())


class _FusedKerasV1Recurrence(torch.autograd.Function):
    """`_KerasV1Recurrence` as the C kernel: same inputs, outputs and gradients."""

    @staticmethod
    def forward(ctx, xp: Tensor, recurrent_kernel: Tensor) -> Tensor:  # noqa: D102
        xp, recurrent_kernel = xp.contiguous(), recurrent_kernel.contiguous()
        batch, n_steps, three_h = xp.shape
        hidden = three_h // 3
        outputs = xp.new_empty(batch, n_steps, hidden)
        y_zr = xp.new_empty(batch, n_steps, 2 * hidden)  # 0.2 a + 0.5, before the clip
        candidates = xp.new_empty(batch, n_steps, hidden)
        _run_kernel("gru_v1_forward", (xp, recurrent_kernel, outputs, y_zr, candidates), outputs)
        ctx.save_for_backward(recurrent_kernel, outputs, y_zr, candidates)
        return outputs

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_outputs: Tensor) -> tuple[Tensor, Tensor]:  # noqa: D102
        recurrent_kernel, outputs, y_zr, candidates = ctx.saved_tensors
        batch, n_steps, hidden = outputs.shape
        grad_outputs = grad_outputs.contiguous()
        grad_xp = outputs.new_empty(batch, n_steps, 3 * hidden)
        kernel_t = recurrent_kernel.t().contiguous()
        _run_kernel("gru_v1_backward", (grad_outputs, kernel_t, outputs, y_zr, candidates, grad_xp), outputs)
        reset = y_zr[..., hidden:].clamp(0.0, 1.0)
        return grad_xp, _v1_recurrent_kernel_grad(_previous_states(outputs), reset, grad_xp)


class _FusedTorchGRURecurrence(torch.autograd.Function):
    """`torch.nn.GRU`'s recurrence (gates r, z, n; ``weight_hh [3H, H]``, ``bias_hh [3H]``) as the
    C kernel, from projected inputs ``xp = x weight_ih^T + bias_ih``."""

    @staticmethod
    def forward(ctx, xp: Tensor, weight_hh: Tensor, bias_hh: Tensor) -> Tensor:  # noqa: D102
        xp, weight_hh, bias_hh = xp.contiguous(), weight_hh.contiguous(), bias_hh.contiguous()
        batch, n_steps, three_h = xp.shape
        hidden = three_h // 3
        outputs = xp.new_empty(batch, n_steps, hidden)
        gates = xp.new_empty(batch, n_steps, 3 * hidden)
        hidden_n = xp.new_empty(batch, n_steps, hidden)
        weight_t = weight_hh.t().contiguous()
        _run_kernel("gru_v2_forward", (xp, weight_t, bias_hh, outputs, gates, hidden_n), outputs)
        ctx.save_for_backward(weight_hh, outputs, gates, hidden_n)
        return outputs

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_outputs: Tensor) -> tuple[Tensor, Tensor, Tensor]:  # noqa: D102
        weight_hh, outputs, gates, hidden_n = ctx.saved_tensors
        batch, n_steps, hidden = outputs.shape
        grad_outputs = grad_outputs.contiguous()
        grad_xp = outputs.new_empty(batch, n_steps, 3 * hidden)
        grad_hp = outputs.new_empty(batch, n_steps, 3 * hidden)
        tensors = (grad_outputs, weight_hh, outputs, gates, hidden_n, grad_xp, grad_hp)
        _run_kernel("gru_v2_backward", tensors, outputs)
        h_prev = _previous_states(outputs)
        flat = grad_hp.reshape(-1, 3 * hidden)
        return grad_xp, flat.t() @ h_prev.reshape(-1, hidden), flat.sum(0)


def keras_v1_gru_reference(
    x: Tensor, kernel: Tensor, recurrent_kernel: Tensor, bias: Tensor, h0: Tensor | None = None
) -> Tensor:
    """The v1 cell written step by step with autograd (the plain reference the tests compare to,
    and the streaming decoder's recurrence, which starts from the last block's state `h0`;
    TorchScript-compatible)."""
    hidden = recurrent_kernel.shape[0]
    xp = x @ kernel + bias
    h = x.new_zeros(x.shape[0], hidden) if h0 is None else h0
    outputs = []
    for t in range(x.shape[1]):
        a = xp[:, t]
        zr = hard_sigmoid(a[:, : 2 * hidden] + h @ recurrent_kernel[:, : 2 * hidden])
        z, r = zr[:, :hidden], zr[:, hidden:]
        c = torch.tanh(a[:, 2 * hidden :] + (r * h) @ recurrent_kernel[:, 2 * hidden :])
        h = z * h + (1 - z) * c
        outputs.append(h)
    return torch.stack(outputs, dim=1)


class GRU(nn.Module):
    """A batch-first GRU over ``x [batch, n_frames, in_features]`` -> ``[batch, n_frames, hidden]``.

    Args:
        in_features, hidden: sizes.
        cell: ``"v1"`` (TF1 Keras cell of the paper's code; parameters ``kernel``,
            ``recurrent_kernel``, ``bias`` in Keras layout) or ``"v2"`` (`torch.nn.GRU`, the TF2
            Keras cell with ``reset_after=True``).

    Both are initialised as Keras does: glorot-uniform input kernels, orthogonal recurrent
    kernels, zero biases.
    """

    def __init__(self, in_features: int, hidden: int, cell: str = "v1") -> None:
        super().__init__()
        if cell not in GRU_CELLS:
            raise ValueError(f"cell must be one of {GRU_CELLS}, got {cell!r}")
        self.cell, self.in_features, self.hidden = cell, in_features, hidden
        if cell == "v1":
            self.kernel = nn.Parameter(torch.empty(in_features, 3 * hidden))
            self.recurrent_kernel = nn.Parameter(torch.empty(hidden, 3 * hidden))
            self.bias = nn.Parameter(torch.empty(3 * hidden))
        else:
            self.rnn = nn.GRU(in_features, hidden, batch_first=True)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.cell == "v1":
            bound = math.sqrt(6.0 / (self.in_features + 3 * self.hidden))
            nn.init.uniform_(self.kernel, -bound, bound)
            nn.init.orthogonal_(self.recurrent_kernel)
            nn.init.zeros_(self.bias)
            return
        h = self.hidden
        bound = math.sqrt(6.0 / (self.in_features + 3 * h))
        nn.init.uniform_(self.rnn.weight_ih_l0, -bound, bound)
        # Keras draws one orthogonal [H, 3H] matrix; torch stores its transpose, [3H, H].
        nn.init.orthogonal_(self.rnn.weight_hh_l0)
        nn.init.zeros_(self.rnn.bias_ih_l0)
        nn.init.zeros_(self.rnn.bias_hh_l0)

    def forward(self, x: Tensor) -> Tensor:
        if self.cell == "v2":
            rnn = self.rnn
            if not _use_kernel(x, rnn.weight_hh_l0) or torch.is_autocast_enabled(x.device.type):
                return rnn(x)[0]
            xp = nn.functional.linear(x, rnn.weight_ih_l0, rnn.bias_ih_l0)
            return _FusedTorchGRURecurrence.apply(xp, rnn.weight_hh_l0, rnn.bias_hh_l0)
        xp = torch.addmm(self.bias, x.reshape(-1, self.in_features), self.kernel)
        xp = xp.reshape(x.shape[0], x.shape[1], 3 * self.hidden)
        # Mixed precision: the recurrence runs in the projection's dtype.
        recurrence = _FusedKerasV1Recurrence if _use_kernel(xp) else _KerasV1Recurrence
        return recurrence.apply(xp, self.recurrent_kernel.to(xp.dtype))
