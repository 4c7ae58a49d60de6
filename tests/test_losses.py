import pytest
import torch
import torch.nn.functional as F
from torch import nn

from facegan import losses
from facegan.losses import clip_weights, discriminator_loss, generator_loss, gradient_penalty, spectral_normalize


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


def _reference_unrolled_value(params: dict, state: tuple, real: torch.Tensor, fake: torch.Tensor, steps: int,
                              lr: float, betas: tuple[float, float], eps: float) -> torch.Tensor:
    """Metz et al.'s surrogate written again from the formulas, with torch.func.grad for D's gradients and
    torch's Adam step (√v̂ + ε), for a one-hidden-layer tanh D given as a dict of tensors."""
    def d_loss(p: dict, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        def score(points: torch.Tensor) -> torch.Tensor:
            return torch.tanh(points @ p["0.weight"].T + p["0.bias"]) @ p["2.weight"].T + p["2.bias"]
        return F.softplus(-score(x)).mean() + F.softplus(score(y)).mean()

    (beta1, beta2), (m, v, t) = betas, state
    for _ in range(steps):
        g = torch.func.grad(d_loss)(params, real, fake)
        t += 1
        m = {k: beta1 * m[k] + (1 - beta1) * g[k] for k in g}
        v = {k: beta2 * v[k] + (1 - beta2) * g[k] ** 2 for k in g}
        params = {k: params[k] - lr * (m[k] / (1 - beta1**t)) / ((v[k] / (1 - beta2**t)).sqrt() + eps)
                  for k in params}
    return -d_loss(params, real, fake)


@pytest.mark.parametrize("steps", [0, 1, 5])
def test_unrolled_generator_loss_matches_a_second_implementation(steps):
    """The gradient the generator gets, through all K steps of D and both terms of the value, is the one a
    torch.func implementation of the paper's surrogate gives; D's Adam state carries on from its own."""
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1)).double()
    real, fake = torch.randn(16, 2, dtype=torch.float64), torch.randn(16, 2, dtype=torch.float64)
    opt = torch.optim.Adam(critic.parameters(), lr=0.05, betas=(0.5, 0.999))
    for _ in range(2):  # D's own moments and step count, which the unrolling continues
        opt.zero_grad()
        losses.discriminator_loss("dcgan", critic(real), critic(torch.randn(16, 2, dtype=torch.float64))).backward()
        opt.step()
    start = {k: p.detach().clone() for k, p in critic.named_parameters()}
    moments = ({k: opt.state[p]["exp_avg"].clone() for k, p in critic.named_parameters()},
               {k: opt.state[p]["exp_avg_sq"].clone() for k, p in critic.named_parameters()}, 2)

    points = fake.clone().requires_grad_(True)
    ours = losses.unrolled_generator_loss(critic, "dcgan", real, points, steps, opt)
    (grad,) = torch.autograd.grad(ours, points)
    value = _reference_unrolled_value(start, moments, real, fake, steps, 0.05, (0.5, 0.999), 1e-8)
    expected = torch.func.grad(lambda y: _reference_unrolled_value(start, moments, real, y, steps, 0.05, (0.5, 0.999),
                                                                    1e-8))(fake)
    assert ours.item() == pytest.approx(value.item(), rel=1e-6)  # the losses cast scores to fp32
    assert torch.allclose(grad, expected, rtol=1e-4, atol=1e-7)
    assert all(torch.equal(p, start[k]) for k, p in critic.named_parameters())  # D itself is not moved
    if steps == 0:  # no unrolling: the minimax generator's gradient (the real term does not depend on G)
        minimax = torch.autograd.grad(losses.generator_loss("dcgan", critic(points), saturating=True), points)[0]
        assert torch.allclose(grad, minimax)
    else:  # through the unrolled D the real-data term moves the fakes too
        params = losses.unrolled_parameters(critic, "dcgan", real, points, steps, opt)
        fake_only = torch.autograd.grad(-F.softplus(torch.func.functional_call(critic, params, (points,))).mean(),
                                        points)[0]
        assert not torch.allclose(grad, fake_only, rtol=1e-3)


def test_spectral_normalization_starts_from_the_given_generator_as_pytorch_would_from_the_seed():
    def critic() -> torch.nn.Module:
        torch.manual_seed(7)
        return torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))

    own = spectral_normalize(critic(), torch.Generator().manual_seed(3))
    again = critic()
    torch.manual_seed(99)  # a different process-wide stream changes nothing
    again = spectral_normalize(again, torch.Generator().manual_seed(3))
    reference = critic()
    with torch.random.fork_rng():  # PyTorch's own start from the same seed
        torch.manual_seed(3)
        spectral_normalize(reference)
    for a, b, c in zip(own.state_dict().values(), again.state_dict().values(), reference.state_dict().values(),
                       strict=True):
        assert torch.equal(a, b) and torch.equal(a, c)
