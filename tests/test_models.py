import pytest
import torch

from facegan.models import Discriminator, Generator, ModelConfig, refresh_batchnorm_stats


@pytest.mark.parametrize("size", [32, 64, 128])
@pytest.mark.parametrize("norm", ["batch", "layer", "none"])
def test_shapes(size, norm):
    config = ModelConfig(ngf=8, ndf=8, image_size=size, critic_norm=norm)
    images = Generator(config)(torch.randn(3, config.nz))
    assert images.shape == (3, 3, size, size)
    assert images.abs().max() <= 1
    assert Discriminator(config)(images).shape == (3,)


def test_default_is_the_tutorial_architecture():
    g, d = Generator(ModelConfig()), Discriminator(ModelConfig())
    # pytorch/examples dcgan at nz=100, ngf=ndf=64: 3,576,704 and 2,765,568 parameters.
    assert sum(p.numel() for p in g.parameters()) == 3_576_704
    assert sum(p.numel() for p in d.parameters()) == 2_765_568


def test_critic_norm_layer_has_no_batchnorm():
    d = Discriminator(ModelConfig(critic_norm="layer"))
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in d.modules())


def test_dcgan_init():
    g = Generator(ModelConfig())
    conv = g.main[0].weight
    assert abs(conv.std().item() - 0.02) < 0.002
    assert abs(g.main[1].weight.mean().item() - 1) < 0.01


@pytest.mark.parametrize("bad", [dict(image_size=48), dict(critic_norm="group"), dict(nz=0)])
def test_bad_config(bad):
    with pytest.raises(ValueError):
        ModelConfig(**bad)


def test_refresh_batchnorm_stats_matches_batch_statistics():
    g = Generator(ModelConfig(ngf=8, image_size=32))
    torch.manual_seed(0)
    state = torch.get_rng_state()
    refresh_batchnorm_stats(g, batches=8, batch_size=64)
    assert torch.equal(torch.get_rng_state(), state), "must not consume the caller's RNG"
    assert not g.training
    # In eval mode, outputs should now match train-mode (batch-statistics) outputs closely.
    z = torch.randn(256, 100)
    with torch.no_grad():
        eval_out = g(z)
        train_out = g.train()(z)
    assert (eval_out - train_out).abs().mean() < 0.02
