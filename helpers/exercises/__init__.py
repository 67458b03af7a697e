"""Checks for the notebooks' exercises: each module has ``async def check(fn) -> bool``.

``attempt`` holds what the checks share: running the learner's function, printing the verdict.
"""
