"""Where arbkit keeps its files: ``$ARBKIT_USER_PATH`` or the platform's app directory."""

from __future__ import annotations

import os
from pathlib import Path

import click


def user_dir() -> Path:
    """The directory for the config file and database (created on first use by writers)."""
    env = os.environ.get("ARBKIT_USER_PATH")
    return Path(env).expanduser() if env else Path(click.get_app_dir("arbkit"))
