"""A local certificate authority (made on the fly with trustme) and the two SSLContexts.

HTTPS on 127.0.0.1 needs a certificate that a client can check. A public CA
will not sign one for ``localhost``, so we make our own CA, tell the server to
use a certificate it signed, and tell the client to trust that CA (and only add
it: the system's CAs stay trusted). Verification stays on everywhere.

    ca = LocalCA()
    server_ctx = ca.server_context()                # cert for localhost and 127.0.0.1
    client_ctx = ca.client_context()                # verifies chain and host name
    ca.configure_trust(ctx)                         # or: add the CA to a context you have
    only_ca = ssl.create_default_context(cafile=ca.cafile())  # trusts this CA only
    ca.cleanup()                                    # removes the PEM file, if written

``local_ca()`` returns one shared CA per process (a notebook kernel), so cells
that run twice keep working with the certificates made the first time.
"""

from __future__ import annotations

import atexit
import shutil
import ssl
import tempfile
from pathlib import Path

import trustme

DEFAULT_NAMES = ("localhost", "127.0.0.1")


class LocalCA:
    """A throw-away certificate authority: issues server certificates, makes contexts."""

    def __init__(self, organization: str = "Streams Lab local CA") -> None:
        self.ca = trustme.CA(organization_name=organization)
        self._dir: Path | None = None

    def server_context(self, *names: str) -> ssl.SSLContext:
        """A server-side context with a fresh certificate for ``names`` (host names or IPs)."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ca.issue_cert(*(names or DEFAULT_NAMES)).configure_cert(ctx)
        return ctx

    def configure_trust(self, ctx: ssl.SSLContext) -> None:
        """Make ``ctx`` trust this CA too (the CAs it trusted already stay trusted)."""
        self.ca.configure_trust(ctx)

    def client_context(self) -> ssl.SSLContext:
        """``ssl.create_default_context()`` that also trusts this CA (verification on)."""
        ctx = ssl.create_default_context()
        self.configure_trust(ctx)
        return ctx

    def cafile(self) -> str:
        """The CA certificate as a PEM file (written once, in a private directory)."""
        if self._dir is None:
            # mkdtemp makes the directory mode 0700: only this user can read it.
            self._dir = Path(tempfile.mkdtemp(prefix="streams-lab-"))
        path = self._dir / "local-ca.pem"
        if not path.exists():
            self.ca.cert_pem.write_to_path(str(path))
        return str(path)

    def cleanup(self) -> None:
        """Remove the PEM file written by ``cafile()``; the CA itself still works."""
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> LocalCA:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cleanup()


_shared: LocalCA | None = None


def local_ca() -> LocalCA:
    """The process's shared CA (made on first use, its PEM file removed at exit)."""
    global _shared
    if _shared is None:
        _shared = LocalCA()
        atexit.register(_shared.cleanup)
    return _shared
