#!/usr/bin/env bash
# The project's one test command (README, CI): installs and starts what the tests need, then
# runs every test project in Release and prints one closing line "N passed, N failed".
# Services the tests need are installed and started by the scripts in infra/test/ (each exports
# the address the tests read, e.g. RTFM_TEST_REDIS, RTFM_TEST_BLOB_CONNECTION) and stopped when
# this script exits.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "test.sh: the .NET 10 SDK (dotnet) is required" >&2
  exit 1
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# NVRTC for the CUDA kernel compile tests (exports RTFM_NVRTC_DIR).
source infra/test/nvrtc.sh

log=$(mktemp)
# shellcheck source=infra/test/redis.sh
source infra/test/redis.sh
# shellcheck source=infra/test/azurite.sh
source infra/test/azurite.sh
cleanup() { rtfm_azurite_stop; rtfm_redis_stop; rm -f "$log"; }
trap cleanup EXIT
rtfm_redis_start
rtfm_azurite_start
set +e
# Build in parallel, then run the test projects one at a time: the multi-process failover tests
# measure timings that a CPU-bound project running beside them on 2 cores would distort.
{ dotnet build Rtfm.Platform.sln -c Release --nologo && dotnet test Rtfm.Platform.sln -c Release --nologo --no-build -m:1 "$@"; } 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# Sum the per-assembly result lines ("Passed!  - Failed: 0, Passed: 12, Skipped: 0, ...").
read -r passed failed skipped < <(awk '
  /(Passed|Failed)! +- +Failed:/ {
    for (i = 1; i <= NF; i++) {
      if ($i == "Failed:")  { f += $(i+1) + 0 }
      if ($i == "Passed:")  { p += $(i+1) + 0 }
      if ($i == "Skipped:") { s += $(i+1) + 0 }
    }
  }
  END { printf "%d %d %d\n", p, f, s }' "$log")
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$status" -ne 0 ]; then
  echo "test.sh: dotnet test exited with status ${status} (a failed test or a build error above)" >&2
  exit "$status"
fi
if [ "$skipped" -ne 0 ]; then
  echo "test.sh: ${skipped} tests were skipped; a skipped test does not count as passing" >&2
  exit 1
fi
if [ "$passed" -eq 0 ]; then
  echo "test.sh: no test ran" >&2
  exit 1
fi
# Every test project must have reported: a project that failed to build reports nothing.
projects=$(find tests -name '*.Tests.csproj' | wc -l)
reported=$(grep -cE '(Passed|Failed)! +- +Failed:' "$log" || true)
if [ "$reported" -ne "$projects" ]; then
  echo "test.sh: ${reported} of ${projects} test projects reported results (a build error above?)" >&2
  exit 1
fi
