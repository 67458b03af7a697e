"""The suite's widgets: small ipywidgets front ends a learner clicks in "Play with it".

- ``echo_client.EchoClientWidget`` (01): send a message to an echo server, read the echo.
- ``http_headers.HeadersWidget`` (07): fetch a local web server's headers.
- ``stream_lab.StreamLab`` (03): run ``StreamReader`` calls on bytes you type.
- ``deadline_lab.DeadlineLab`` (08): a client's deadline against a server's delay.
- ``read_size.ReadSizeLab`` (10): how fast an echo server is, by the bytes it reads at a time.
- ``tls_door.TLSDoor`` (09): a client knocks on a TLS server; what each end saw.
- ``chat.ChatRoom`` (13): chat windows side by side, each a client of one chat server.

Each still works after Run All, whose last cell stopped every server: a widget
that needs a server names it, and finds it again (or starts it again) with
``helpers.background.ensure`` at each click. 04, 05 and 06 build their widgets
in the notebook itself, as a lesson in wiring a button to a coroutine.
``base`` holds what they all share: ``Clicks`` keeps the tasks clicks start, and
``mark`` gives their parts the same CSS classes.
"""

from helpers.widgets.chat import ChatRoom
from helpers.widgets.deadline_lab import DeadlineLab
from helpers.widgets.echo_client import EchoClientWidget
from helpers.widgets.http_headers import HeadersWidget
from helpers.widgets.read_size import ReadSizeLab
from helpers.widgets.stream_lab import StreamLab
from helpers.widgets.tls_door import TLSDoor

__all__ = ["ChatRoom", "DeadlineLab", "EchoClientWidget", "HeadersWidget", "ReadSizeLab",
           "StreamLab", "TLSDoor"]
