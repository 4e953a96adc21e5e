import torch

from ddsp_repro.models.wavernn import WaveRNN, WaveRNNConfig, mu_law_decode, mu_law_encode

SMALL = WaveRNNConfig(ch=16, cond_rnn_channels=16, cond_channels=8, rnn_channels=32, fc_channels=32)


def test_mu_law_round_trip_and_range():
    audio = torch.linspace(-1, 1, 10001)
    classes = mu_law_encode(audio)
    assert classes.min() == 0 and classes.max() == 255
    assert (mu_law_decode(classes) - audio).abs().max() < 0.022  # half the coarsest step (near full scale)
    assert mu_law_encode(mu_law_decode(torch.arange(256))).equal(torch.arange(256))


def test_paper_size():
    assert abs(WaveRNN().n_trainable_parameters() - 23e6) / 23e6 < 0.02


def test_generation_follows_the_teacher_forced_model():
    """Greedy sampling (tiny temperature) equals step-wise argmax of the teacher-forced logits."""
    torch.manual_seed(0)
    model = WaveRNN(SMALL).eval()
    cond = model.conditioning(torch.full((1, 4), 220.0), torch.full((1, 4), -30.0), 12)
    audio = model.generate(cond, temperature=1e-6)
    logits = model(audio, cond)
    assert mu_law_encode(audio).equal(logits.argmax(-1))


def test_loss_is_finite_and_trains():
    torch.manual_seed(0)
    model = WaveRNN(SMALL)
    audio = 0.5 * torch.sin(torch.arange(400) / 5.0)[None]
    cond = model.conditioning(torch.full((1, 10), 220.0), torch.full((1, 10), -20.0), 400)
    optimizer = torch.optim.Adam(model.parameters(), 3e-3)
    first = None
    for _ in range(30):
        loss = model.loss(
            audio, model.conditioning(torch.full((1, 10), 220.0), torch.full((1, 10), -20.0), 400)
        )
        first = first or loss.item()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < first < 6.0 and cond.shape == (1, 400, 8)
