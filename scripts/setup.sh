#!/usr/bin/env bash
# Set up everything the course needs on a fresh machine: Debian packages (where apt exists),
# a virtual environment .venv with the pinned Python packages, and the course's utils.
# Safe to run again: it skips what is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

# poppler-utils: pdftotext, pdftoppm and pdfinfo read the book's PDF back (scripts/check_pdf.py)
debian_packages=(dataset-fashion-mnist chromium fonts-noto-cjk poppler-utils)
if command -v apt-get >/dev/null; then
  missing=()
  for package in "${debian_packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  if ((${#missing[@]})); then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "setup: installing Debian packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
  fi
else
  echo "setup: no apt-get here; Fashion-MNIST will be downloaded by torchvision on first use"
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($python --version)"
  "$python" -m venv .venv
fi
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ requirements.txt -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
  echo "setup: installing Python packages (requirements.txt, pinned by constraints.txt)"
  .venv/bin/python -m pip install -q --upgrade pip setuptools wheel
  .venv/bin/python -m pip install -q -r requirements.txt -c constraints.txt
  .venv/bin/python -m pip install -q --no-deps --no-build-isolation -e .
  touch "$stamp"
fi
echo "setup: ready ($(du -sh .venv | cut -f1) in .venv)"
