"""The seed's "fetch HTTP headers" example, made careful: a library and a script.

- ``fetch.py``: check a URL, send ``HEAD``, read and parse the response's head
  (``fetch_headers``, ``parse_url``, ``build_request``, ``read_head``, ``Response``).
- ``display.py``: show headers safely and the same on every run (``mask_date``,
  ``hiding_dates``, ``printable``).
- ``__main__.py``: the script, ``python -m helpers.http_headers URL [--cafile PEM]
  [--timeout SECONDS]``.

The widget that fetches headers on a click is ``helpers.widgets.HeadersWidget``.
"""

from helpers.http_headers.display import hiding_dates, mask_date, printable
from helpers.http_headers.fetch import (
    DEFAULT_TIMEOUT,
    FetchError,
    InvalidURL,
    Response,
    ResponseError,
    Target,
    build_request,
    client_context,
    fetch_headers,
    parse_head,
    parse_url,
    read_head,
)

__all__ = [
    "DEFAULT_TIMEOUT", "FetchError", "InvalidURL", "Response", "ResponseError", "Target",
    "build_request", "client_context", "fetch_headers", "hiding_dates", "mask_date",
    "parse_head", "parse_url", "printable", "read_head",
]
