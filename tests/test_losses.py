import pytest
import torch
import torch.nn.functional as F

from facegan.losses import clip_weights, discriminator_loss, generator_loss, gradient_penalty


def test_dcgan_losses_are_bce_on_sigmoid():
    real, fake = torch.randn(16), torch.randn(16)
    expected = F.binary_cross_entropy(torch.sigmoid(real), torch.ones(16)) + F.binary_cross_entropy(
        torch.sigmoid(fake), torch.zeros(16))
    assert torch.allclose(discriminator_loss("dcgan", real, fake), expected, atol=1e-6)
    assert torch.allclose(generator_loss("dcgan", fake), F.binary_cross_entropy(torch.sigmoid(fake), torch.ones(16)))


def test_dcgan_loss_does_not_saturate():
    # BCE on a sigmoid layer gives inf/0 gradients at large logits; logits stay finite.
    fake = torch.tensor([-200.0], requires_grad=True)
    generator_loss("dcgan", fake).backward()
    assert torch.isfinite(fake.grad).all() and fake.grad.abs().item() > 0.5


def test_minimax_generator_loss_is_log_one_minus_d_and_saturates():
    """The original minimax loss log(1 − σ(s)): its gradient vanishes as D rejects a fake (s → −∞), where the
    non-saturating −log σ(s) keeps a gradient near 1."""
    fake = torch.tensor([-1.0, 0.5, 2.0])
    assert torch.allclose(generator_loss("dcgan", fake, saturating=True), torch.log(1 - torch.sigmoid(fake)).mean())
    rejected = torch.tensor([-12.0], requires_grad=True)
    generator_loss("dcgan", rejected, saturating=True).backward()
    assert 0 < -rejected.grad.item() < 1e-5


def test_wasserstein_losses():
    real, fake = torch.tensor([3.0, 5.0]), torch.tensor([1.0, 0.0])
    assert discriminator_loss("wgan", real, fake).item() == 0.5 - 4.0
    assert generator_loss("wgan-gp", fake).item() == -0.5


class LinearCritic(torch.nn.Module):
    def __init__(self, w):
        super().__init__()
        self.w = torch.nn.Parameter(w)

    def forward(self, x):
        return (x.flatten(1) * self.w).sum(1)


def test_gradient_penalty_matches_hand_computation():
    # D(x) = w·x has gradient w everywhere, so the penalty is (‖w‖ - 1)² exactly.
    w = torch.randn(3 * 4 * 4)
    critic = LinearCritic(w)
    real, fake = torch.randn(5, 3, 4, 4), torch.randn(5, 3, 4, 4)
    penalty = gradient_penalty(critic, real, fake)
    assert torch.allclose(penalty, (w.norm() - 1) ** 2, rtol=1e-5)
    penalty.backward()  # differentiable w.r.t. the critic: d/dw (‖w‖-1)² = 2(‖w‖-1) w/‖w‖
    assert torch.allclose(critic.w.grad, 2 * (w.norm() - 1) * w / w.norm(), rtol=1e-4, atol=1e-6)


def test_gradient_penalty_works_on_points():
    """Any rank: the Lab's N×2 points get the same exact penalty as images."""
    w = torch.tensor([3.0, 4.0])
    assert torch.allclose(gradient_penalty(LinearCritic(w), torch.randn(7, 2), torch.randn(7, 2)), torch.tensor(16.0))


def test_gradient_penalty_is_fp32_under_autocast():
    critic = LinearCritic(torch.randn(48))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        penalty = gradient_penalty(critic, torch.randn(4, 3, 4, 4), torch.randn(4, 3, 4, 4))
    assert penalty.dtype == torch.float32


def test_clip_weights():
    layer = torch.nn.Linear(10, 10)
    torch.nn.init.normal_(layer.weight, std=1.0)
    clip_weights(layer, 0.01)
    assert all(p.abs().max() <= 0.01 for p in layer.parameters())


def test_an_unknown_loss_mode_is_refused_by_name_not_taken_for_wasserstein():
    scores = torch.zeros(4)
    with pytest.raises(ValueError, match="unknown loss mode 'wgan_gp'"):
        discriminator_loss("wgan_gp", scores, scores)
    with pytest.raises(ValueError, match="unknown loss mode 'wgan_gp'"):
        generator_loss("wgan_gp", scores)
