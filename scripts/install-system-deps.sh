#!/usr/bin/env bash
# System packages Receipts needs: Chromium for screenshots and the browser route.
# Installs with apt when running as root and something is missing; otherwise only reports.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || [ -n "${RECEIPTS_BROWSER_PATH:-}" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing chromium (apt)…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium fonts-liberation fonts-noto-color-emoji >/dev/null
else
  echo "warning: chromium not found; install it (apt-get install chromium) or set RECEIPTS_BROWSER_PATH" >&2
fi
