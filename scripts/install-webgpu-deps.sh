#!/usr/bin/env bash
# Installs what WebGPU needs on a machine without a GPU: Mesa's software Vulkan driver (lavapipe,
# Mesa >= 24) so that Dawn (the `webgpu` npm package) finds a real adapter. On Debian 12 Mesa 24
# comes from bookworm-backports. Safe to run again: it does nothing when lavapipe is there.
set -euo pipefail

if ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1; then
  echo "install-webgpu-deps: lavapipe is already installed"
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-webgpu-deps: not root or no apt-get; install Mesa >= 24 (mesa-vulkan-drivers) yourself" >&2
  exit 1
fi

. /etc/os-release
if [ "${VERSION_CODENAME:-}" = bookworm ]; then
  if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    cat > /etc/apt/sources.list.d/bookworm-backports.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
else
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mesa-vulkan-drivers libvulkan1 >/dev/null
fi
echo "install-webgpu-deps: installed $(dpkg-query -W -f='${Package} ${Version}' mesa-vulkan-drivers)"
