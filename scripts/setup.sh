#!/usr/bin/env bash
# Idempotent setup of a fresh Debian machine: system simulators (Verilator, Icarus Verilog) and
# Chromium from Debian's packages when missing, then the npm dependencies exactly as locked.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v verilator >/dev/null 2>&1 || missing+=(verilator)
command -v iverilog >/dev/null 2>&1 || missing+=(iverilog)
# Headless Chromium renders the HTML report in tests (driven by playwright-core, no browser download).
[ -x /usr/bin/chromium ] || missing+=(chromium)
# g++ builds the Verilator models and the HLS C-simulation; gcc the generated C driver; make runs the
# generated Makefiles; python3 checks the generated PYNQ driver.
command -v g++ >/dev/null 2>&1 || missing+=(g++)
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
command -v make >/dev/null 2>&1 || missing+=(make)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
# NumPy: the PYNQ driver's decode check and the notebook package (python/codenet, test/python-package.test.ts).
python3 -c 'import numpy' >/dev/null 2>&1 || missing+=(python3-numpy)
# fst2vcd (GTKWave): test/waveforms.test.ts reads the FST of `codenet sim --trace`; gtkwave views it (docs/waveforms.md).
command -v fst2vcd >/dev/null 2>&1 || missing+=(gtkwave)
# The ONNX project's node tests: test/import-onnx-node.test.ts runs them through `codenet import`.
[ -d /usr/share/libonnx-testdata/data/node ] || missing+=(libonnx-testdata)
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]} from Debian's packages"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

npm ci --no-audit --no-fund --loglevel=error
echo "setup: done ($(verilator --version | cut -d' ' -f1-2), $(iverilog -V 2>/dev/null | head -n1 | cut -d' ' -f1-4), node $(node --version))"
