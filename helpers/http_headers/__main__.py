"""The seed's "fetch HTTP headers" example, made careful: print a URL's response headers.

    python -m helpers.http_headers URL [--cafile PEM] [--timeout SECONDS]

prints the status line and the headers of ``URL`` (http:// or https://, any port,
path and query string) as ``HTTP header> ...`` lines, like the seed's example.
``--cafile`` adds a CA certificate (PEM) to the ones the system trusts, for
servers with a certificate from a local CA. Bad input gets one clear line on
stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import io
import sys

from helpers.cli import Parser, UserError, positive_seconds, run
from helpers.http_headers.display import printable
from helpers.http_headers.fetch import DEFAULT_TIMEOUT, FetchError, fetch_headers


async def print_headers(url: str, cafile: str | None, timeout: float) -> None:
    try:
        response = await fetch_headers(url, cafile=cafile, timeout=timeout)
    except FetchError as exc:
        raise UserError(str(exc)) from None
    for line in response.lines():
        print(f"HTTP header> {printable(line)}")


def main(argv: list[str] | None = None) -> None:
    parser = Parser(prog="python -m helpers.http_headers", description=__doc__.split("\n")[0])
    parser.add_argument("url", help="http://host[:port]/path or https://...")
    parser.add_argument("--cafile", help="also trust the CA certificates in this PEM file")
    parser.add_argument("--timeout", type=positive_seconds, default=DEFAULT_TIMEOUT,
                        help=f"give up after this many seconds (default {DEFAULT_TIMEOUT:g})")
    args = parser.parse_args(argv)
    if isinstance(sys.stdout, io.TextIOWrapper):  # a header may hold what the terminal lacks
        sys.stdout.reconfigure(errors="backslashreplace")
    run(parser.prog, print_headers(args.url, args.cafile, args.timeout))


if __name__ == "__main__":
    main(sys.argv[1:])
