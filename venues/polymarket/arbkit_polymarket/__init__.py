"""arbkit's built-in polymarket venue plugin."""
