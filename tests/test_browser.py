"""The studio in headless Chromium: what a visitor sees and does."""

import shutil
from pathlib import Path

import pytest

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed (apt-get install chromium)")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.fixture(scope="module")
def page(app_url):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(app_url)
        yield page
        browser.close()


def image_src(page, selector: str) -> str:
    page.wait_for_selector(f"{selector} img", timeout=30_000)
    return page.locator(f"{selector} img").first.get_attribute("src")


def test_samples_interpolation_and_compare(page):
    first = image_src(page, "#samples-grid")
    page.get_by_role("button", name="Random seed").click()
    page.wait_for_function(
        "old => document.querySelector('#samples-grid img')?.getAttribute('src') !== old", arg=first, timeout=30_000)

    page.get_by_role("tab", name="Interpolation").click()
    before = image_src(page, "#interp-face")
    slider = page.locator("#t-slider input[type=range]")
    slider.focus()
    for _ in range(10):
        slider.press("ArrowRight")
    page.wait_for_function(
        "old => document.querySelector('#interp-face img')?.getAttribute('src') !== old", arg=before, timeout=30_000)
    assert image_src(page, "#interp-strip")

    page.get_by_role("tab", name="Compare").click()
    page.wait_for_function("document.querySelectorAll('#compare-gallery img').length >= 2", timeout=30_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "compare.png"))


def test_about_tab_shows_each_model(page):
    page.get_by_role("tab", name="About the models").click()
    page.get_by_text("generator steps").first.wait_for(timeout=30_000)
    assert page.get_by_text("dcgan: training curves").count() >= 1
