#!/usr/bin/env bash
# Trains RTFM-tiny on this machine's CPU, resumably:
#   tools/train/train.sh --minutes 90 [train.py options]
# Installs Debian's PyTorch and OpenBLAS if missing (PyPI is not used), writes the datasets
# with `rtfm dataset` if missing, then runs train.py, which resumes from its checkpoint.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

need=()
dpkg -s python3-torch >/dev/null 2>&1 || need+=(python3-torch)
dpkg -s libopenblas0-pthread >/dev/null 2>&1 || need+=(libopenblas0-pthread)
if [ ${#need[@]} -gt 0 ]; then
  echo "train.sh: installing ${need[*]} from Debian"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
fi

data="$here/data"
val="$here/data-val"
rtfm=(dotnet run -c Release --project "$root/src/Rtfm.Cli" --)
if [ ! -f "$data/manifest.json" ]; then
  "${rtfm[@]}" dataset --split train --scenes "${TRAIN_SCENES:-300}" --frames 48 --no-png --out "$data"
fi
if [ ! -f "$val/manifest.json" ]; then
  "${rtfm[@]}" dataset --split validation --scenes "${VAL_SCENES:-24}" --frames 48 --no-png --out "$val"
fi

# Debian's python, not whatever python3 comes first on PATH.
exec /usr/bin/python3 "$here/train.py" --data "$data" --val "$val" "$@"
