"""Reference solution for 07-http-headers' exercise (loaded with %run)."""

import asyncio
import ssl
import urllib.parse


async def fetch_status(url: str, cafile: str | None = None) -> int:
    """Send HEAD for ``url`` and return the status code (200, 404, ...)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https":
        # Verification stays on: the system's CAs, or only those in cafile if given.
        tls = ssl.create_default_context(cafile=cafile)
        port = parts.port or 443
    else:
        tls, port = None, parts.port or 80
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    request = (f"HEAD {target} HTTP/1.1\r\n"
               f"Host: {parts.netloc}\r\n"
               "Connection: close\r\n"  # HTTP/1.1 keeps the connection open otherwise
               "\r\n")
    reader, writer = await asyncio.open_connection(parts.hostname, port, ssl=tls)
    try:
        writer.write(request.encode("ascii"))
        await writer.drain()
        status_line = await reader.readline()  # b"HTTP/1.1 200 OK\r\n": all we need
        _version, status, *_reason = status_line.decode("latin-1").split(" ", 2)
        return int(status)
    finally:
        writer.close()
        await writer.wait_closed()
