"""Reference solution for 11-pipes-and-subprocesses's exercise (loaded with %run)."""

import asyncio


async def run_filter(args, data):
    """Run the program ``args``, send ``data`` on its stdin; return (exit code, stdout)."""
    proc = await asyncio.create_subprocess_exec(
        *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate(data)  # writes, reads and waits, all at once
    return proc.returncode, out
