"""helpers.widgets.tls_door: both ends' view of each client, and it works after stop_all."""

from __future__ import annotations

import asyncio
import re

from helpers.background import running, stop_all
from helpers.tls import LocalCA
from helpers.widgets.tls_door import CLIENTS, NAME, TLSDoor

CA = LocalCA()


def test_each_client_shows_what_it_saw_and_what_the_server_logged():
    async def main() -> list[str]:
        door = TLSDoor(CA)
        try:
            return [await door.knock(client) for client in CLIENTS]
        finally:
            await stop_all()

    assert asyncio.run(main()) == [
        "#1 ✓ client: got its echo 'hello' | server: handshake done, TLSv1.3",
        "#2 ✗ client: certificate not trusted (unable to get local issuer certificate)"
        " | server: handshake failed: ConnectionResetError",
        "#3 ✗ client: the server hung up after sending 0 bytes"
        " | server: handshake failed: SSLError (WRONG_VERSION_NUMBER)",
        "#4 ✗ client: dropped by the server after sending 0 bytes"
        " | server: handshake failed: ConnectionAbortedError (no handshake within 0.3 s)"]


def test_after_stop_all_a_click_starts_the_server_again():
    async def main() -> tuple[str, str, list[str]]:
        door = TLSDoor(CA)
        first = await door.knock(CLIENTS[0])
        await stop_all()
        assert NAME not in running()
        second = await door.knock(CLIENTS[0])
        names = running()
        await stop_all()
        return first, second, names

    first, second, names = asyncio.run(main())
    assert first.startswith("#1 ✓") and second.startswith("#2 ✓") and names == [NAME]


def test_a_click_starts_a_task_the_widget_keeps_and_shows_its_line():
    async def main() -> str:
        door = TLSDoor(CA)
        door.client.value = CLIENTS[2]
        door.button.click()
        assert len(door.pending) == 1
        await asyncio.gather(*door.pending)
        await stop_all()
        return door.result.value

    assert re.match(r"#1 ✗ client: the server hung up .* \| server: handshake failed: SSLError",
                    asyncio.run(main()))


def test_the_widget_tree_has_the_classes_the_browser_test_looks_for():
    async def main() -> TLSDoor:
        return TLSDoor(CA)

    door = asyncio.run(main())
    assert "streams-lab-play" in door.widget._dom_classes
    assert "streams-lab-go" in door.button._dom_classes
    assert "streams-lab-result" in door.result._dom_classes
    assert list(door.client.options) == CLIENTS
