#!/usr/bin/env bash
# Debian's headless chromium and its matching chromedriver for the real-browser tests (tests/browser).
#   scripts/chromium.sh ensure   install them when missing (apt, as root: CI on a fresh machine), then print versions
#   scripts/chromium.sh check    exit 1 unless both are installed
# Selenium is given these paths explicitly (tests/browser/conftest.py), so its driver manager never tries to
# download a browser (there is no internet here).
set -euo pipefail

BROWSER=/usr/bin/chromium
DRIVER=/usr/bin/chromedriver

installed() { [[ -x "$BROWSER" && -x "$DRIVER" ]]; }

case "${1:-ensure}" in
  check)
    installed || { echo "chromium and chromium-driver are not installed (scripts/chromium.sh ensure)" >&2; exit 1; }
    ;;
  ensure)
    if ! installed; then
      bash "$(dirname "$0")/debian.sh" install chromium chromium-driver
    fi
    "$BROWSER" --version
    "$DRIVER" --version
    ;;
  *)
    echo "usage: $0 ensure|check" >&2
    exit 2
    ;;
esac
