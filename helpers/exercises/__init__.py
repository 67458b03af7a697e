"""Checks for the notebooks' exercises, one module per notebook.

Each module has ``await check(answer) -> bool`` (it prints one line: "✓ ...",
"✗ not yet: ..." or "✗ could not check: ...") and ``hint()``. ``contract`` holds
what they share: the deadline, the one line, the clean-up, the hints.
"""
