"""Tools the packaging tests take from PyPI (hadolint, kubernetes-validate, and
jsonschema + PyYAML that come with the latter), installed by
`scripts/install-deps test` into their own venv."""

import os
import shutil

from harness import Skip

VENV = os.environ.get("PROMC_PYTOOLS") or os.path.expanduser("~/.cache/exporter-suite/pytools")


def tool(name):
    """Path of a tool of the venv (or on PATH); Skip when absent."""
    path = os.path.join(VENV, "bin", name)
    if os.access(path, os.X_OK):
        return path
    found = shutil.which(name)
    if found:
        return found
    raise Skip(f"{name} is not installed (scripts/install-deps test puts it in {VENV})")


def python():
    """The venv's Python (with jsonschema and PyYAML)."""
    return tool("python")
