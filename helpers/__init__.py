"""Shared plumbing for the Streams Lab notebooks: background servers, scripts, widgets."""

from helpers.background import serve, serve_unix, stop, stop_all

__all__ = ["serve", "serve_unix", "stop", "stop_all"]
