"""The studio as a user installs it: the wheel in a folder of its own, started from another folder with
--checkpoints, answers every endpoint as the repository's studio does, with every tab laid out the same."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import free_port
from tests.test_packaging import build_wheel
from tests.test_project import DCGAN, FACE_INDEX, FACE_SEED, ROOT, photo_of

gradio_client = pytest.importorskip("gradio_client")

CHECKPOINTS = ROOT / "checkpoints"
START_S = 180  # the installed studio must answer within this


def wait_for(url: str, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the installed studio exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "config", timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"no answer from {url} within {START_S} s")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The wheel installed into a folder on its own, and the environment that imports facegan from there only."""
    site = tmp_path_factory.mktemp("site")
    wheel = build_wheel(tmp_path_factory.mktemp("build"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q",
                    "--disable-pip-version-check", "--target", str(site), str(wheel)], check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": str(site), "GRADIO_ANALYTICS_ENABLED": "False"}
    env.pop("FACEGAN_CHECKPOINTS", None)
    return site, env


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("elsewhere")  # no checkpoints/, docs/ or facegan/ here


@pytest.fixture(scope="module")
def installed_url(installed, elsewhere):
    site, env = installed
    port = free_port()
    log = (elsewhere.parent / "studio.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "facegan.studio", "--checkpoints", str(CHECKPOINTS)],
                               cwd=elsewhere, stdout=log, stderr=subprocess.STDOUT,
                               env={**env, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port)})
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(30)
        log.close()


@pytest.fixture(scope="module")
def repository_url():
    """The same studio over the same checkpoints, from the repository, in this process."""
    from facegan.ui import create_app, launch

    demo = create_app(CHECKPOINTS)
    port = free_port()
    launch(demo, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture(scope="module")
def photo(tmp_path_factory) -> Path:
    from facegan.export import load_generator
    from facegan.sampling import render, seeded_noise

    face = render(load_generator(DCGAN)[0], seeded_noise(FACE_INDEX + 1, 100, FACE_SEED), fast=False)[FACE_INDEX]
    path = tmp_path_factory.mktemp("photo") / "me.png"
    photo_of(face).save(path)
    return path


def test_the_installed_package_is_what_runs(installed, elsewhere):
    site, env = installed
    found = subprocess.run([sys.executable, "-c", "import facegan; print(facegan.__file__)"], cwd=elsewhere, env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert Path(found).is_relative_to(site)


def page(url: str) -> tuple[set[str], set[str]]:
    """The page's element ids (every tab's parts, the Lab's presets among them) and its API names."""
    with urllib.request.urlopen(url + "config", timeout=30) as response:
        config = json.load(response)
    ids = {c["props"]["elem_id"] for c in config["components"] if c.get("props", {}).get("elem_id")}
    apis = {d["api_name"] for d in config["dependencies"] if d.get("api_name")}
    return ids, apis


def test_every_tab_is_laid_out_as_in_the_repository(installed_url, repository_url):
    ids, apis = page(installed_url)
    assert (ids, apis) == page(repository_url)
    assert {"lab-preset-drawn-heart", "lab-lit-show"} <= ids and {"photo_project", "lab_literature"} <= apis


def same(a, b, path: str = "") -> None:
    """Equal answers: files compared by content (pictures to within two levels), numbers to 1e-4."""
    if isinstance(a, str) and os.path.isfile(a):
        try:
            x, y = (np.asarray(Image.open(p).convert("RGB"), dtype=np.int16) for p in (a, b))
        except OSError:
            assert Path(a).read_bytes() == Path(b).read_bytes(), path
            return
        assert x.shape == y.shape and np.abs(x - y).max() <= 2, path
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for key in a:
            same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{path}[{i}]")
    elif isinstance(a, float):
        assert math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-4), path
    else:
        assert a == b, path


def test_every_endpoint_answers_as_in_the_repository(installed_url, repository_url, photo):
    calls = {
        "/samples": ("dcgan", 7, 4, 1.0),
        "/frame": ("wgan", 5, 9, "slerp", 0.5, 1.0),
        "/compare": (4, 4, 1.0),
        "/edit": ("dcgan", 3, 1, 0, True),
        "/edit_walk": ("dcgan", 3, "gender", True),
        "/lab_literature": ("tutorial",),
    }
    installed, repository = (gradio_client.Client(url, verbose=False) for url in (installed_url, repository_url))
    for api_name, args in calls.items():
        same(installed.predict(*args, api_name=api_name), repository.predict(*args, api_name=api_name), api_name)
    # A projection optimises in floating point, whose last bits differ between processes: the crop and its note
    # are the same, and every model is projected with its encoder and the judge found beside the generators.
    photo_args = (gradio_client.handle_file(str(photo)), "detect", 3, None, None)
    answers = [client.predict(*photo_args, api_name="/photo_project") for client in (installed, repository)]
    same(answers[0][:2], answers[1][:2], "/photo_project")
    assert set(answers[0][4]) == set(answers[1][4]) == {"dcgan", "wgan", "wgan-gp"}
