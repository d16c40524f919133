"""arbkit's built-in kalshi venue plugin."""
