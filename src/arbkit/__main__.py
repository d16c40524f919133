"""``python -m arbkit``."""

from arbkit.cli import main

main()
