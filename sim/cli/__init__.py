"""The ``hiresim`` command line: thin commands that parse, call the library and print."""

from sim.cli.main import app

__all__ = ["app"]
