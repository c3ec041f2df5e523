"""An embedded AWS emulator (moto) for ``--local`` and ``secureml local serve``.

``--local`` runs a command against a fresh emulator on 127.0.0.1 (or the one
given with ``--endpoint-url``), with throw-away credentials, after creating
what the blueprint expects to exist but does not create itself: the data
buckets its personas use and the Identity Center groups and users it assigns.
moto already provides an Identity Center instance in every account and region.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import urllib.request
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from secureml.errors import SecureMLError

if TYPE_CHECKING:
    import boto3

    from secureml.blueprint_file import BlueprintFile

__all__ = ["LocalUnavailableError", "emulator", "reset", "seed"]

log = logging.getLogger("secureml.cli.local")

INSTALL_HINT = "pip install 'secureml[local]'"


class LocalUnavailableError(SecureMLError):
    """moto (the ``local`` extra) is not installed."""


@contextlib.contextmanager
def emulator(port: int = 0) -> Iterator[str]:
    """Run moto's server on 127.0.0.1 (``port`` 0: a free one) and yield its URL.

    The server runs in a daemon thread of this process and stops on exit.
    """
    try:
        from moto.server import ThreadedMotoServer  # noqa: PLC0415 - an optional extra
    except ImportError as exc:
        raise LocalUnavailableError(
            f"--local needs the AWS emulator moto, which is not installed ({exc}); "
            f"install it with: {INSTALL_HINT}"
        ) from None
    from secureml._moto_aws import moto_aws  # noqa: PLC0415 - imports moto

    # werkzeug logs every request, and a traceback for every operation moto lacks
    # (the caller gets the error as an AWS error anyway): the emulator stays quiet.
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    _check_port(port)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    # The server runs in this process, so the operations secureml adds to moto's
    # sso-admin (tags, permissions boundaries, provisioning status) and StackSets,
    # and its answers to repeated creates as AWS gives them, apply to it.
    with moto_aws():
        _start(server, port)
        host, bound = server.get_host_and_port()
        url = f"http://{host}:{bound}"
        log.info("local AWS emulator (moto) listening on %s", url)
        try:
            yield url
        finally:
            server.stop()
            with contextlib.suppress(Exception):  # free the port now, not at garbage collection
                server._server.server_close()  # type: ignore[union-attr]


def _check_port(port: int) -> None:
    """Refuse a port that is taken, before moto tries it: its server thread would
    die on the bind error and leave ``start()`` waiting for ever."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the server itself does, so a port in TIME_WAIT counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise SecureMLError(
                f"--port {port}: 127.0.0.1:{port} is not available ({exc.strerror or exc}); "
                "give another port, or --port 0 for any free one"
            ) from None


def _start(server: Any, port: int, timeout: float = 60.0) -> None:
    """``server.start()``, but bounded: it waits on an event that is never set when
    the server thread fails (a port taken between the check and the bind)."""
    starter = threading.Thread(target=server.start, daemon=True, name="secureml-moto-start")
    starter.start()
    starter.join(timeout)
    if starter.is_alive() or server._server is None:
        raise SecureMLError(
            f"the local AWS emulator did not start on 127.0.0.1:{port} within {timeout:.0f}s"
        )


def reset(url: str) -> None:
    """Forget everything the emulator at ``url`` holds (moto's reset API)."""
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def seed(session: boto3.Session, bf: BlueprintFile, region: str) -> list[str]:
    """Create in the emulator what ``bf`` expects to exist but does not create
    (the same seeding as ``secureml.testing.mock_session(blueprint)``).

    Returns what was created (one phrase per item), already-present items
    skipped, so seeding twice is harmless.
    """
    from secureml._seed import seed as seed_prerequisites  # noqa: PLC0415

    return seed_prerequisites(session, bf, region)
