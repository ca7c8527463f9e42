#!/usr/bin/env bash
# Debian's PyTorch (python3-torch) and numpy: the golden-fixture twin (reference/twin.py), which test/golden-twin.test.ts
# runs to check that the committed fixtures are what the twin computes. Installs them when missing (CI runs as root on
# a clean machine), then prints the Python to use as an `export` line for `eval`.
set -euo pipefail
py=/usr/bin/python3
if ! env -u OPENBLAS_CORETYPE "$py" -c 'import torch, numpy' >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq python3-torch python3-numpy >&2
  else
    echo "setup-torch: python3-torch is missing and this user cannot install it (run as root, or apt-get install python3-torch)" >&2
    exit 0
  fi
fi
echo "export MIXBENCH_TORCH_PYTHON=$py"
