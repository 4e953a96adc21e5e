"""TFAdam against TF1's update rule, and its state in a weights-only checkpoint."""

import io

import numpy as np
import torch

from ddsp_repro.training.optim import TFAdam, clip_by_global_norm


def test_update_is_tf1_adam_with_float32_hyper_parameters():
    w = torch.tensor([1.0, -2.0, 3e-9], dtype=torch.float64, requires_grad=True)
    opt = TFAdam([w], lr=1e-3)
    m = v = np.zeros(3)
    b1, b2, eps, lr = (float(np.float32(x)) for x in (0.9, 0.999, 1e-8, 1e-3))
    expected = w.detach().numpy().copy()
    for t in range(1, 4):
        g = np.array([0.5, -1.0, 1e-9]) * t
        w.grad = torch.from_numpy(g.copy())
        opt.step()
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        p1, p2 = float(np.float32(b1) ** t), float(np.float32(b2) ** t)
        expected -= lr * np.sqrt(1 - p2) / (1 - p1) * m / (np.sqrt(v) + eps)
    np.testing.assert_allclose(w.detach().numpy(), expected, rtol=1e-4)
    # The last weight's gradient is below epsilon, where TF1's epsilon placement matters:
    # torch.optim.Adam (epsilon inside the bias correction) moves it a third less.
    w2 = torch.tensor([1.0, -2.0, 3e-9], dtype=torch.float64, requires_grad=True)
    torch_adam = torch.optim.Adam([w2], lr=1e-3, eps=1e-8)
    for t in range(1, 4):
        w2.grad = torch.tensor([0.5, -1.0, 1e-9], dtype=torch.float64) * t
        torch_adam.step()
    assert abs(w2[2].item() / expected[2] - 1) > 1e-2


def test_state_survives_a_weights_only_checkpoint():
    w = torch.zeros(2, requires_grad=True)
    opt = TFAdam([w], lr=1e-3)
    w.grad = torch.ones(2)
    opt.step()
    buffer = io.BytesIO()
    torch.save(opt.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)  # what Lightning's resume does
    assert state["state"][0]["step"] == 1


def test_clip_by_global_norm_is_tfs_formula():
    a, b = torch.zeros(2, requires_grad=True), torch.zeros(1, requires_grad=True)
    a.grad, b.grad = torch.tensor([3.0, 4.0]), torch.tensor([12.0])
    norm = clip_by_global_norm([a, b], 6.5)
    assert norm.item() == 13.0
    torch.testing.assert_close(a.grad, torch.tensor([1.5, 2.0]))
    a.grad, b.grad = torch.tensor([0.3, 0.4]), torch.tensor([1.2])
    clip_by_global_norm([a, b], 6.5)  # under the norm: unchanged, no epsilon
    torch.testing.assert_close(b.grad, torch.tensor([1.2]))
