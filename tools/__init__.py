"""Maintenance scripts for the repository (not used by the notebooks)."""
