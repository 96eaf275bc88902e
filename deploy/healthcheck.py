"""The container's HEALTHCHECK: exit 0 when the web process answers its public readiness check with 200 (the
process serves and its database answers).

Django answers 400 to a Host header outside DJANGO_ALLOWED_HOSTS, so the request names the first allowed host
(a leading-dot domain pattern without its dot; "localhost" for a wildcard or when the list is empty).
Standard library only: the image has no curl.
"""

from __future__ import annotations

import http.client
import os
import sys

PATH = "/health/ready"


def allowed_host(setting: str) -> str:
    """A Host header value Django accepts under the DJANGO_ALLOWED_HOSTS value `setting`."""
    for entry in (part.strip() for part in setting.split(",")):
        if entry and entry != "*":
            return entry.lstrip(".")
    return "localhost"


def healthy(port: int, host_header: str, timeout: float = 4.0) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", PATH, headers={"Host": host_header, "Accept": "application/json"})
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def main() -> int:
    port = int(os.environ.get("NETWEAVE_HEALTHCHECK_PORT", "8000"))
    return 0 if healthy(port, allowed_host(os.environ.get("DJANGO_ALLOWED_HOSTS", ""))) else 1


if __name__ == "__main__":
    sys.exit(main())
