"""Notebook 12's exercise, solved: an ordered, bounded shutdown (as in scripts/kv_server.py)."""

import asyncio
import logging

log = logging.getLogger("kv_server")


async def shutdown(server, clients, grace):
    """Stop in order, each step bounded: clients maps each handler task to its writer."""
    server.close()  # 1. stop accepting
    for writer in clients.values():  # 2. tell the clients
        if not writer.is_closing():
            writer.write(b"BYE server stopping\n")
        writer.close()  # 3. close each: sends what is queued, then end of file
    if clients:
        await asyncio.wait(list(clients), timeout=grace)
    for writer in clients.values():  # 4. a client that does not read: drop it
        writer.transport.abort()
    for task in clients:  # 5. a handler still busy: cancel it
        task.cancel()
    if clients:
        await asyncio.wait(list(clients), timeout=grace)
    if hasattr(server, "abort_clients"):  # 3.13+: also those still in a TLS handshake
        server.abort_clients()
    try:  # 6. 3.12+ waits here for every connection: bounded
        async with asyncio.timeout(grace):
            await server.wait_closed()
    except TimeoutError:  # 3.12: a client still in its TLS handshake, say
        log.info("gave up waiting for the last connections after %.1f s", grace)
