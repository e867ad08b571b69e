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
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]} from Debian's packages"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" g++ make >/dev/null
fi

npm ci --no-audit --no-fund --loglevel=error
echo "setup: done ($(verilator --version | cut -d' ' -f1-2), $(iverilog -V 2>/dev/null | head -n1 | cut -d' ' -f1-4), node $(node --version))"
