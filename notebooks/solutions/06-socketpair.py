"""Reference solution for 06-socketpair's exercise (loaded with %run)."""

import asyncio
import socket


async def test_echo_handler(handler):
    """Drive ``handler`` over a socketpair; raise unless it echoes what it was sent."""
    sent = b"the quick brown fox jumps over the lazy dog. " * 5  # 225 bytes, lowercase
    client_sock, server_sock = socket.socketpair()  # two connected ends: no port
    server_reader, server_writer = await asyncio.open_connection(sock=server_sock)
    client_reader, client_writer = await asyncio.open_connection(sock=client_sock)
    task = asyncio.create_task(handler(server_reader, server_writer))
    try:
        client_writer.write(sent)
        client_writer.write_eof()  # "no more": an echo handler stops at EOF
        async with asyncio.timeout(0.5):  # a handler that never answers: fail, never hang
            echoed = await client_reader.read()  # everything, up to the handler's close
            await task  # and the handler itself has finished
        assert echoed == sent, f"sent {len(sent)} bytes, got back {echoed[:30]!r}..."
    finally:
        task.cancel()  # stops a handler that hangs; does nothing to a finished one
        await asyncio.gather(task, return_exceptions=True)
        client_writer.close()
        await client_writer.wait_closed()
