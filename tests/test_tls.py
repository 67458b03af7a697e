"""helpers.tls: a local CA whose contexts verify for real (chain and host name)."""

from __future__ import annotations

import asyncio
import os
import ssl

import pytest

from helpers.tls import LocalCA, local_ca


async def handshake(server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext,
                    host: str = "127.0.0.1", server_hostname: str | None = None) -> bytes:
    async def hello(reader, writer):
        writer.write(b"hello over TLS")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(hello, "127.0.0.1", 0, ssl=server_ctx)
    port = server.sockets[0].getsockname()[1]
    try:
        async with asyncio.timeout(5):
            reader, writer = await asyncio.open_connection(
                host, port, ssl=client_ctx, server_hostname=server_hostname)
            data = await reader.read()
            writer.close()
            await writer.wait_closed()
            return data
    finally:
        server.close()
        await server.wait_closed()


def run_quietly(coro):
    """asyncio.run, keeping the server side's failed-handshake reports out of stderr."""
    async def main():
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: None)
        return await coro
    return asyncio.run(main())


def test_client_context_trusts_the_local_ca_for_ip_and_localhost():
    ca = LocalCA()
    assert run_quietly(handshake(ca.server_context(), ca.client_context())) == b"hello over TLS"
    assert run_quietly(handshake(ca.server_context(), ca.client_context(),
                                 server_hostname="localhost")) == b"hello over TLS"


def test_verification_is_on_the_default_context_rejects_the_local_ca():
    ca = LocalCA()
    ctx = ca.client_context()
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    with pytest.raises(ssl.SSLCertVerificationError, match="unable to get local issuer"):
        run_quietly(handshake(ca.server_context(), ssl.create_default_context()))
    other = LocalCA()  # another CA's certificate is not trusted either
    with pytest.raises(ssl.SSLCertVerificationError):
        run_quietly(handshake(other.server_context(), ca.client_context()))


def test_a_certificate_for_another_name_fails_the_host_name_check():
    ca = LocalCA()
    with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
        run_quietly(handshake(ca.server_context("other.example"), ca.client_context()))
    with pytest.raises(ssl.SSLCertVerificationError, match="wrong.example"):
        run_quietly(handshake(ca.server_context(), ca.client_context(),
                              server_hostname="wrong.example"))


def test_cafile_is_a_pem_file_usable_by_create_default_context_and_cleanup_removes_it():
    with LocalCA() as ca:
        path = ca.cafile()
        assert ca.cafile() == path  # written once
        with open(path, "rb") as f:
            assert f.read().startswith(b"-----BEGIN CERTIFICATE-----")
        assert oct(os.stat(os.path.dirname(path)).st_mode & 0o777) == "0o700"
        ctx = ssl.create_default_context(cafile=path)
        assert run_quietly(handshake(ca.server_context(), ctx)) == b"hello over TLS"
    assert not os.path.exists(path)
    assert not os.path.exists(os.path.dirname(path))


def test_configure_trust_adds_the_ca_to_an_existing_context():
    ca = LocalCA()
    ctx = ssl.create_default_context()
    before = ctx.cert_store_stats()["x509_ca"]
    ca.configure_trust(ctx)
    assert ctx.cert_store_stats()["x509_ca"] == before + 1  # added, nothing replaced
    assert run_quietly(handshake(ca.server_context(), ctx)) == b"hello over TLS"


def test_local_ca_is_shared_in_the_process():
    assert local_ca() is local_ca()
