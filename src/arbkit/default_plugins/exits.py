"""Built-in exits registered through the same hook a third-party plugin uses."""
