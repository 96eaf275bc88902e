#!/usr/bin/env bash
# The Debian packages the test backends run from (PostgreSQL, Redis, Prometheus and Alertmanager, chromium, the
# OpenStack services), installed on first use as root.
#   scripts/debian.sh install PACKAGE...   install the ones missing; exit 1 with apt's own words if that fails
#   scripts/debian.sh update               refresh the package lists
# On a fresh machine `make test` reaches several of them at once (the browser stage, the fault stage's Redis,
# the Prometheus and Redis sessions, the OpenStack lane), and a second apt-get beside a running one fails at
# once on dpkg's lock. So every install and update here runs one at a time behind a lock of ours, and apt
# itself waits up to 15 minutes for dpkg's lock (an apt run by anything else on the machine).
set -euo pipefail

LOCK="${NETWEAVE_APT_LOCK:-/tmp/netweave-apt.lock}"   # the variable: for the tests of this script
APT=(apt-get -o DPkg::Lock::Timeout=900 -o Acquire::Retries=3 -qq)
export DEBIAN_FRONTEND=noninteractive

missing() {
  local package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || echo "$package"
  done
}

one_at_a_time() {
  exec 9>"$LOCK"
  flock 9
}

install() {
  [ "$#" -gt 0 ] || { echo "usage: $0 install PACKAGE..." >&2; exit 2; }
  local need
  need="$(missing "$@" | tr '\n' ' ')"
  [ -z "${need// /}" ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "debian.sh: Debian packages missing and not root: apt-get install $need" >&2
    exit 1
  fi
  one_at_a_time
  need="$(missing "$@" | tr '\n' ' ')"   # another run may have installed them while this one waited
  [ -z "${need// /}" ] && return 0
  echo "debian.sh: installing $need" >&2
  # shellcheck disable=SC2086
  if ! "${APT[@]}" install -y --no-install-recommends $need >&2; then
    echo "debian.sh: refreshing the package lists and trying again" >&2
    "${APT[@]}" update >&2
    # shellcheck disable=SC2086
    "${APT[@]}" install -y --no-install-recommends $need >&2
  fi
}

update() {
  [ "$(id -u)" = 0 ] || { echo "debian.sh: apt-get update needs root" >&2; exit 1; }
  one_at_a_time
  "${APT[@]}" update >&2
}

case "${1:-}" in
  install) shift; install "$@" ;;
  update) update ;;
  *) echo "usage: $0 install PACKAGE... | update" >&2; exit 2 ;;
esac
