import torch
from PIL import Image

from facegan.export import load_generator
from facegan.sampling import gif_bytes, interpolate, lerp, render, seeded_noise, slerp, to_pil, to_uint8, truncate

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


def test_grid_layout():
    images = torch.zeros(10, 3, 8, 8, dtype=torch.uint8)
    assert to_pil(images).size == (4 * 10 + 2, 3 * 10 + 2)  # ceil(sqrt(10)) = 4 columns, 3 rows, 2 px padding
    assert to_pil(images, nrow=10).size == (10 * 10 + 2, 12)
    assert to_pil(images[:1]).size == (8, 8)  # a single face, unpadded
    assert to_pil(images).getpixel((0, 0)) == (255, 255, 255)


def test_slerp_hits_endpoints_and_keeps_norm_between_theirs():
    torch.manual_seed(0)
    for _ in range(20):
        a, b = torch.randn(100), torch.randn(100) * torch.rand(1) * 3
        assert torch.equal(slerp(a, b, 0.0), a) and torch.equal(slerp(a, b, 1.0), b)
        low, high = sorted([a.norm().item(), b.norm().item()])
        for t in torch.linspace(0, 1, 11).tolist():
            assert low - 1e-4 <= slerp(a, b, t).norm().item() <= high + 1e-4
    # lerp, by contrast, shrinks the middle of a walk between two typical latents.
    a, b = torch.randn(100), torch.randn(100)
    assert lerp(a, b, 0.5).norm() < 0.85 * min(a.norm(), b.norm())


def test_slerp_of_parallel_vectors_is_finite():
    a = torch.randn(100)
    assert torch.isfinite(slerp(a, 2 * a, 0.5)).all()


def test_interpolate_batches_every_t():
    a, b = torch.randn(100), torch.randn(100)
    z = interpolate(a, b, [0.0, 0.5, 1.0])
    assert z.shape == (3, 100) and torch.equal(z[0], a) and torch.equal(z[2], b)


def test_seeds_are_deterministic_and_truncation_scales():
    z = seeded_noise(4, 100, 123)
    assert torch.equal(z, seeded_noise(4, 100, 123))
    assert torch.equal(seeded_noise(1, 100, 123)[0], z[0])  # face k of a seed does not depend on the count
    assert torch.allclose(truncate(z, 0.5), z * 0.5)


def test_bf16_render_is_visually_identical_to_fp32():
    generator, _ = load_generator(ROOT / "checkpoints" / "dcgan.safetensors")
    generator = generator.to(memory_format=torch.channels_last)
    z = seeded_noise(64, 100, 0)
    with torch.inference_mode():
        exact = to_uint8(generator(z))
    diff = (render(generator, z).int() - exact.int()).abs()
    assert diff.max() <= 8 and diff.float().mean() < 0.5


def test_gif_bounces_and_loops(tmp_path):
    frames = torch.randint(0, 256, (4, 3, 8, 8), dtype=torch.uint8)
    path = tmp_path / "walk.gif"
    path.write_bytes(gif_bytes(frames))
    with Image.open(path) as gif:
        assert gif.n_frames == 6 and gif.info["loop"] == 0  # A→B→A without repeating the ends
