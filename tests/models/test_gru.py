"""The fused GRU recurrences against step-by-step autograd references of the same cells."""

import pytest
import torch
from torch import nn

from ddsp_repro import native
from ddsp_repro.models.gru import GRU, hard_sigmoid, keras_v1_gru_reference

needs_kernel = pytest.mark.skipif(native.load_kernel("gru") is None, reason="no C compiler here")


def torch_gru_reference(x, w_ih, w_hh, b_ih, b_hh):
    """torch.nn.GRU's cell (gates r, z, n) written step by step with autograd."""
    hidden = w_hh.shape[1]
    xp = x @ w_ih.t() + b_ih
    h = x.new_zeros(x.shape[0], hidden)
    outputs = []
    for t in range(x.shape[1]):
        hp = h @ w_hh.t() + b_hh
        r = torch.sigmoid(xp[:, t, :hidden] + hp[:, :hidden])
        z = torch.sigmoid(xp[:, t, hidden : 2 * hidden] + hp[:, hidden : 2 * hidden])
        n = torch.tanh(xp[:, t, 2 * hidden :] + r * hp[:, 2 * hidden :])
        h = (1 - z) * n + z * h
        outputs.append(h)
    return torch.stack(outputs, dim=1)


def _reference(gru: GRU, x):
    if gru.cell == "v1":
        return keras_v1_gru_reference(x, gru.kernel, gru.recurrent_kernel, gru.bias)
    r = gru.rnn
    return torch_gru_reference(x, r.weight_ih_l0, r.weight_hh_l0, r.bias_ih_l0, r.bias_hh_l0)


def _layer(cell: str, in_features: int, hidden: int, seed: int = 0) -> GRU:
    torch.manual_seed(seed)
    gru = GRU(in_features, hidden, cell)
    with torch.no_grad():  # non-zero biases and gates away from their initial values
        for p in gru.parameters():
            p.add_(0.3 * torch.randn_like(p))
    return gru


def _outputs_and_grads(gru: GRU, x, grad_out):
    gru.zero_grad()
    x = x.detach().clone().requires_grad_(True)
    y = gru(x)
    y.backward(grad_out.to(y.dtype))
    return [y.detach(), x.grad, *(p.grad.clone() for p in gru.parameters())]


@needs_kernel
@pytest.mark.parametrize("cell", ["v1", "v2"])
@pytest.mark.parametrize("shape", [(5, 23, 3, 20), (8, 200, 2, 64), (1, 1, 4, 16)])  # batch, T, in, H
def test_fused_recurrence_matches_float64_autograd(cell, shape):
    batch, n_steps, in_features, hidden = shape
    gru = _layer(cell, in_features, hidden)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(batch, n_steps, in_features, generator=g)
    grad_out = torch.randn(batch, n_steps, hidden, generator=g)
    fused = _outputs_and_grads(gru, x, grad_out)

    ref = gru.to(torch.float64)
    ref.zero_grad()
    x64 = x.double().requires_grad_(True)
    y64 = _reference(ref, x64)
    y64.backward(grad_out.double())
    expected = [y64.detach(), x64.grad, *(p.grad for p in ref.parameters())]
    for got, want in zip(fused, expected, strict=True):
        assert got.dtype == torch.float32
        assert (got.double() - want).abs().max() <= 1e-5 * want.abs().max()


@needs_kernel
@pytest.mark.parametrize("cell", ["v1", "v2"])
def test_fused_and_portable_paths_agree_and_fused_is_deterministic(cell):
    gru = _layer(cell, 6, 48)
    g = torch.Generator().manual_seed(2)
    x, grad_out = torch.randn(9, 40, 6, generator=g), torch.randn(9, 40, 48, generator=g)
    first, again = _outputs_and_grads(gru, x, grad_out), _outputs_and_grads(gru, x, grad_out)
    with native.disabled():
        portable = _outputs_and_grads(gru, x, grad_out)
    for a, b, p in zip(first, again, portable, strict=True):
        assert torch.equal(a, b)  # bit for bit from run to run
        assert (a - p).abs().max() <= 1e-5 * p.abs().max()


@needs_kernel
@pytest.mark.parametrize("cell", ["v1", "v2"])
def test_fused_recurrence_does_not_depend_on_the_thread_count(cell):
    """The kernel's own outputs and input gradients, bit for bit at 1 and 3 threads (the weight
    gradients and the input projection are BLAS products, which may split sums by thread)."""
    from ddsp_repro.models.gru import _FusedKerasV1Recurrence, _FusedTorchGRURecurrence

    gru = _layer(cell, 6, 40)
    g = torch.Generator().manual_seed(3)
    xp = torch.randn(7, 30, 120, generator=g, requires_grad=True)
    grad_out = torch.randn(7, 30, 40, generator=g)
    if cell == "v1":
        weights = (gru.recurrent_kernel.detach(),)
        recurrence = _FusedKerasV1Recurrence
    else:
        weights = (gru.rnn.weight_hh_l0.detach(), gru.rnn.bias_hh_l0.detach())
        recurrence = _FusedTorchGRURecurrence
    results = []
    threads = torch.get_num_threads()
    try:
        for n in (1, 3):
            torch.set_num_threads(n)
            xp.grad = None
            y = recurrence.apply(xp, *weights)
            y.backward(grad_out)
            results.append((y.detach(), xp.grad.clone()))
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(results[0][0], results[1][0]) and torch.equal(results[0][1], results[1][1])


def test_portable_v1_loop_matches_autograd_reference():
    gru = _layer("v1", 3, 12).double()
    x = torch.randn(4, 17, 3, dtype=torch.float64)
    grad_out = torch.randn(4, 17, 12, dtype=torch.float64)
    got = _outputs_and_grads(gru, x, grad_out)  # float64: the PyTorch loop, not the kernel
    gru.zero_grad()
    xr = x.clone().requires_grad_(True)
    yr = keras_v1_gru_reference(xr, gru.kernel, gru.recurrent_kernel, gru.bias)
    yr.backward(grad_out)
    for a, b in zip(got, [yr.detach(), xr.grad, *(p.grad for p in gru.parameters())], strict=True):
        assert (a - b).abs().max() <= 1e-10 * b.abs().max()


def test_v2_cell_is_torch_gru_and_hard_sigmoid_is_keras():
    gru = _layer("v2", 3, 10)
    x = torch.randn(2, 15, 3)
    assert isinstance(gru.rnn, nn.GRU)
    assert torch.allclose(gru(x), gru.rnn(x)[0], atol=1e-6)
    assert torch.equal(hard_sigmoid(torch.tensor([-3.0, 0.0, 1.0, 3.0])), torch.tensor([0.0, 0.5, 0.7, 1.0]))
