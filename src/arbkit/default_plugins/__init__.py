"""Core behaviour written as plugins, registered like any other (and not blockable)."""
