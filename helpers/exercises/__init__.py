"""Checks for the notebooks' exercises: each module has ``async def check(fn) -> bool``."""
