#!/usr/bin/env bash
# Debian's chromium: the headless browser of the report-page test, and (in its library directory) SwiftShader's
# Vulkan driver, which gives the npm `webgpu` package a software adapter for the WebGPU tests.
# Installs the package when missing (CI runs as root on a clean machine), then prints the two variables the WebGPU
# tests need, as `export` lines for `eval`.
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1 || [ ! -f /usr/lib/chromium/vk_swiftshader_icd.json ]; then
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq chromium >&2
  else
    echo "setup-chromium: chromium is missing and this user cannot install it (run as root, or apt-get install chromium)" >&2
    exit 0
  fi
fi
echo "export MIXBENCH_CHROMIUM=$(command -v chromium)"
echo "export MIXBENCH_SWIFTSHADER_LIB=/usr/lib/chromium"
echo "export MIXBENCH_SWIFTSHADER_ICD=/usr/lib/chromium/vk_swiftshader_icd.json"
