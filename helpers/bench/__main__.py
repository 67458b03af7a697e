"""``python -m helpers.bench``: the command line (and, with ``--child``, a server process)."""

from __future__ import annotations

import argparse
import json
import sys

import helpers.bench
from helpers.bench.run import run
from helpers.bench.servers import child
from helpers.bench.sizes import FULL, PROG, QUICK, TINY
from helpers.cli import Parser  # a usage error is one line, no usage text


def main(argv: list[str] | None = None) -> None:
    parser = Parser(prog=PROG, description=(helpers.bench.__doc__ or "").split("\n")[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--quick", action="store_true", help="a smaller run: under 20 s")
    which.add_argument("--tiny", action="store_true", help="the smallest run: a few seconds")
    parser.add_argument("--json", action="store_true",
                        help="print a JSON list of {name, value, unit, ratio, ...} objects")
    parser.add_argument("--no-uvloop", action="store_true", help="leave uvloop out")
    parser.add_argument("--child", choices=["asyncio", "uvloop"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child)
        return
    size = TINY if args.tiny else QUICK if args.quick else FULL
    try:
        report = run(size, use_uvloop=not args.no_uvloop)
    except KeyboardInterrupt:  # Ctrl-C: the servers were stopped on the way out
        print(f"{PROG}: interrupted", file=sys.stderr)
        sys.exit(130)
    if args.json:
        print(json.dumps(report.to_json(), indent=1, ensure_ascii=False))
    else:
        print("\n".join(report.lines()))


if __name__ == "__main__":
    main(sys.argv[1:])
