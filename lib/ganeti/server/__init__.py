"""Daemon entry points: masterd, noded, rapi."""
