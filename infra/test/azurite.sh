#!/usr/bin/env bash
# Azurite (the Azure Storage emulator, blob service only) for the blob-storage tests.
# Source it, call rtfm_azurite_start, and rtfm_azurite_stop when done (test.sh: in its EXIT
# trap). Start installs the npm package into .tools/azurite (ignored by git) when missing,
# starts azurite-blob on 127.0.0.1, a free port and a fresh temporary data folder, waits
# until it answers and exports:
#   RTFM_TEST_BLOB_CONNECTION   connection string of the running emulator
#   RTFM_TEST_AZURITE_BLOB      the azurite-blob program (tests that stop and restart their own)
# Run alone to try it:  bash infra/test/azurite.sh   (starts, prints the connection, stops)

AZURITE_VERSION=3.35.0
_azurite_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
_azurite_dir="${_azurite_root}/.tools/azurite"
_azurite_pid=""
_azurite_data=""

# The emulator's documented, public development account (not a secret).
_azurite_account=devstoreaccount1
_azurite_key='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

rtfm_azurite_install() {
  local bin="${_azurite_dir}/node_modules/.bin/azurite-blob"
  if [ -x "$bin" ]; then return 0; fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "azurite.sh: npm (node 20) is required to install Azurite for the blob-storage tests" >&2
    return 1
  fi
  mkdir -p "$_azurite_dir"
  echo "azurite.sh: installing azurite@${AZURITE_VERSION} into .tools/azurite"
  (cd "$_azurite_dir" && npm install --prefix . --no-audit --no-fund --loglevel=error "azurite@${AZURITE_VERSION}" >/dev/null)
}

_azurite_free_port() {
  node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

rtfm_azurite_start() {
  local t0 t1 t2 port bin i
  t0=$(date +%s.%N)
  rtfm_azurite_install || return 1
  t1=$(date +%s.%N)
  bin="${_azurite_dir}/node_modules/.bin/azurite-blob"
  port=$(_azurite_free_port)
  _azurite_data=$(mktemp -d "${TMPDIR:-/tmp}/rtfm-azurite.XXXXXX")
  # Started directly (npx would leave the node child behind when stopped). The SDK speaks a
  # newer API version than Azurite 3.35 knows, hence --skipApiVersionCheck.
  "$bin" --blobHost 127.0.0.1 --blobPort "$port" --location "$_azurite_data" \
    --skipApiVersionCheck --disableTelemetry --silent >"${_azurite_data}/azurite.log" 2>&1 &
  _azurite_pid=$!
  # Ready when the blob endpoint answers HTTP at all (any status: it rejects the unsigned request).
  for i in $(seq 1 300); do
    if curl -s -o /dev/null "http://127.0.0.1:${port}/${_azurite_account}?comp=list"; then break; fi
    if ! kill -0 "$_azurite_pid" 2>/dev/null; then
      echo "azurite.sh: azurite-blob exited during start-up; its log:" >&2
      cat "${_azurite_data}/azurite.log" >&2
      return 1
    fi
    sleep 0.1
  done
  if ! curl -s -o /dev/null "http://127.0.0.1:${port}/${_azurite_account}?comp=list"; then
    echo "azurite.sh: azurite-blob did not answer on 127.0.0.1:${port} within 30 s" >&2
    return 1
  fi
  t2=$(date +%s.%N)
  export RTFM_TEST_BLOB_CONNECTION="DefaultEndpointsProtocol=http;AccountName=${_azurite_account};AccountKey=${_azurite_key};BlobEndpoint=http://127.0.0.1:${port}/${_azurite_account};"
  export RTFM_TEST_AZURITE_BLOB="$bin"
  awk -v a="$t0" -v b="$t1" -v c="$t2" -v p="$port" \
    'BEGIN { printf "azurite: blob service on 127.0.0.1:%s, ready in %.1f s (install check %.1f s)\n", p, c - b, b - a }'
}

rtfm_azurite_stop() {
  if [ -n "$_azurite_pid" ]; then
    kill "$_azurite_pid" 2>/dev/null || true
    wait "$_azurite_pid" 2>/dev/null || true
    _azurite_pid=""
  fi
  if [ -n "$_azurite_data" ]; then
    rm -rf "$_azurite_data"
    _azurite_data=""
  fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  trap rtfm_azurite_stop EXIT
  rtfm_azurite_start
  echo "RTFM_TEST_BLOB_CONNECTION=${RTFM_TEST_BLOB_CONNECTION}"
fi
