"""arbkit's built-in replay venue plugin."""
