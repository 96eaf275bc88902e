"""A Debian program a test backend runs (Redis, Prometheus, Alertmanager), installed on first use by
scripts/debian.sh: one apt at a time, so the sessions and stages that reach for packages at once on a fresh
machine do not fail on dpkg's lock. A failure says what apt said; the tests then fail, never skip."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "debian.sh"
INSTALL_TIMEOUT = 1800  # it may wait for another stage's apt (OpenStack's packages take minutes)


def program(name: str, package: str) -> str:
    """The path of program `name`, from Debian package `package`, installing the package when it is missing."""
    found = shutil.which(name)
    if found:
        return found
    done = subprocess.run(
        ["bash", str(SCRIPT), "install", package],
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
        check=False,
    )
    found = shutil.which(name)
    if not found:
        said = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"{name} is missing and scripts/debian.sh install {package} failed:\n{said}")
    return found
