#!/usr/bin/env bash
# Fetches NVRTC 11.8 (Debian 12 non-free: libnvrtc11.2 + libnvrtc-builtins11.8) into
# .cache/nvrtc for the CUDA kernel compile tests, without a GPU and without touching the
# system's apt configuration: a private sources dir, lists dir and cache dir live under
# .cache/apt-nvrtc. Source it (test.sh does) to export RTFM_NVRTC_DIR; run it to just fetch.
# Skips all work when the libraries are already unpacked.
set -euo pipefail

nvrtc_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
nvrtc_dir="${nvrtc_root}/.cache/nvrtc"
nvrtc_lib="${nvrtc_dir}/usr/lib/x86_64-linux-gnu"

nvrtc_fetch() {
  if [ -f "${nvrtc_lib}/libnvrtc.so.11.2" ] && [ -f "${nvrtc_lib}/libnvrtc-builtins.so.11.8" ]; then
    return 0
  fi
  if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg >/dev/null 2>&1; then
    echo "nvrtc.sh: apt-get and dpkg are required to fetch NVRTC (Debian 12)" >&2
    return 1
  fi
  # The Debian mirror this machine already uses (read from its apt sources, never changed),
  # or RTFM_DEBIAN_MIRROR.
  local mirror="${RTFM_DEBIAN_MIRROR:-}"
  if [ -z "${mirror}" ]; then
    mirror=$( { grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}';
                grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}'; } |
              grep -v -- '-security' | grep '/debian/\?$' | head -n 1 || true)
  fi
  if [ -z "${mirror}" ]; then
    echo "nvrtc.sh: no Debian mirror found in the system's apt sources; set RTFM_DEBIAN_MIRROR to one (its /debian URI)" >&2
    return 1
  fi
  local apt="${nvrtc_root}/.cache/apt-nvrtc"
  mkdir -p "${apt}/sources.list.d" "${apt}/lists/partial" "${apt}/cache/archives/partial" "${apt}/debs"
  # Signed by the Debian archive key the system already trusts; only non-free is needed.
  cat > "${apt}/sources.list.d/nvrtc.sources" <<SOURCES
Types: deb
URIs: ${mirror}
Suites: bookworm
Components: non-free
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  local opts=(
    -o "Dir::Etc::sourceparts=${apt}/sources.list.d"
    -o "Dir::Etc::sourcelist=/dev/null"
    -o "Dir::State::Lists=${apt}/lists"
    -o "Dir::Cache=${apt}/cache"
    -o "APT::Architecture=amd64"
    -o "Debug::NoLocking=1"
  )
  # As root apt drops to _apt for downloads, which cannot write into the checkout.
  if [ "$(id -u)" -eq 0 ]; then opts+=(-o "APT::Sandbox::User=root"); fi
  echo "nvrtc.sh: fetching libnvrtc11.2 + libnvrtc-builtins11.8 into ${nvrtc_dir}" >&2
  apt-get "${opts[@]}" -qq update >&2
  (cd "${apt}/debs" && apt-get "${opts[@]}" -qq download libnvrtc11.2 libnvrtc-builtins11.8 >&2)
  rm -rf "${nvrtc_dir}.partial"
  mkdir -p "${nvrtc_dir}.partial"
  local deb
  for deb in "${apt}"/debs/*.deb; do dpkg -x "${deb}" "${nvrtc_dir}.partial"; done
  local so
  for so in libnvrtc.so.11.2 libnvrtc-builtins.so.11.8; do
    if [ ! -f "${nvrtc_dir}.partial/usr/lib/x86_64-linux-gnu/${so}" ]; then
      echo "nvrtc.sh: ${so} missing from the unpacked packages in ${apt}/debs" >&2
      return 1
    fi
  done
  rm -rf "${nvrtc_dir}"
  mv "${nvrtc_dir}.partial" "${nvrtc_dir}"
}

nvrtc_fetch
export RTFM_NVRTC_DIR="${nvrtc_lib}"
