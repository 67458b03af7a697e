"""A chat server that survives real clients (notebook 13): one concern per module.

Notebook 13 builds the same server in its own cells; this package is it as a script.

- ``protocol``: the rules as data (limits, nicknames, what the server says);
- ``room``: who is here, and each client's bounded outbox, so a broadcast never waits;
- ``server``: ``ChatServer.handle``, the handler that reads one client's lines;
- ``client``: the terminal client (stdin and the connection at once);
- ``bench``: broadcast latency and throughput with many clients;
- ``guests``: the test clients notebook 13 talks to its own server with;
- ``__main__``: ``python -m helpers.chat server|client|bench``.
"""

from helpers.chat.protocol import Settings
from helpers.chat.room import Client, Room
from helpers.chat.server import ChatServer

__all__ = ["ChatServer", "Client", "Room", "Settings"]
