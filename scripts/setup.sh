#!/usr/bin/env bash
# Set up everything CityPatrol needs on Debian 12: system packages and the .venv/.
# Idempotent: when everything is already there it checks and returns in a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

# Qt offscreen and xcb (a real window under Xvfb), a CJK font (without one Qt draws boxes and PDFs
# lose their Chinese), PyInstaller's objdump, pdftotext for PDF checks, exiftool as an independent
# reader of photo metadata in the tests, PostgreSQL for the server tests on both databases, and
# gdal-bin (ogrinfo) as an independent reader of the GeoJSON and GeoPackage exports in the tests,
# nginx-light and openssl to run the shipped reverse-proxy configuration (deploy/nginx) with a
# certificate authority made by the test (tests/sync/test_nginx.py); for the Linux installers
# (./dev.sh package and its test) desktop-file-validate, appstreamcli and mksquashfs (dpkg-deb
# is in every Debian).
SYSTEM_PACKAGES=(
  libglib2.0-0 libegl1 libgl1 libfontconfig1 libxkbcommon0 libdbus-1-3
  fonts-wqy-microhei
  xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0
  libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0
  binutils poppler-utils
  libimage-exiftool-perl
  gdal-bin
  postgresql-15
  nginx-light openssl
  desktop-file-utils appstream squashfs-tools
)

missing=()
for pkg in "${SYSTEM_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  echo "setup: installing system packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# uv installs the locked Python environment (uv.lock) into .venv/ reproducibly and fast.
UV_VERSION=0.13.8
if [ "$(python3 -m uv --version 2>/dev/null | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  echo "setup: installing uv $UV_VERSION"
  python3 -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi
export UV_PYTHON_DOWNLOADS=never
python3 -m uv sync --frozen --quiet --python 3.11
