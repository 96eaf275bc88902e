"""Running the helm CLI: one subprocess per command, JSON output, helm's state dirs private to the instance.

helm writes its cache, config and repository data under HELM_*_HOME; pointing them at the instance's own
folder keeps instances (and the user running netweave) from seeing each other's repositories. A command that
outlives `timeout` + a margin is killed and reported as the backend being unavailable.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from plugins.dms.helm.mapping import error_for
from plugins.sdk.errors import BackendUnavailable

TIMEOUT_MARGIN = 30


class HelmCLI:
    def __init__(self, binary: str, *, home: Path, kubeconfig: str, timeout_seconds: int) -> None:
        self.binary = binary
        self.home = home
        self.kubeconfig = kubeconfig
        self.timeout_seconds = timeout_seconds

    def _env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("HELM_")}
        env.update(
            HELM_CACHE_HOME=str(self.home / "cache"),
            HELM_CONFIG_HOME=str(self.home / "config"),
            HELM_DATA_HOME=str(self.home / "data"),
        )
        if self.kubeconfig:
            env["KUBECONFIG"] = self.kubeconfig
        return env

    def run(self, args: Sequence[str], *, operation: str) -> str:
        """stdout of `helm <args>`; a failure becomes the SDK error helm's message describes."""
        try:
            done = subprocess.run(
                [self.binary, *args],
                capture_output=True,
                text=True,
                env=self._env(),
                timeout=self.timeout_seconds + TIMEOUT_MARGIN,
                check=False,
            )
        except FileNotFoundError:
            raise BackendUnavailable(f"The helm executable '{self.binary}' was not found.") from None
        except subprocess.TimeoutExpired:
            raise BackendUnavailable(f"helm {operation} did not finish in {self.timeout_seconds} s.") from None
        if done.returncode != 0:
            raise error_for(done.stderr, operation=operation)
        return done.stdout

    def json(self, args: Sequence[str], *, operation: str) -> Any:
        output = self.run([*args, "--output", "json"], operation=operation)
        try:
            return json.loads(output) if output.strip() else None
        except json.JSONDecodeError:
            raise BackendUnavailable(f"helm {operation} returned output that is not JSON.") from None

    def version(self) -> str:
        return self.run(["version", "--short"], operation="version").strip()
