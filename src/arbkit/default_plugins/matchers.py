"""Built-in matchers registered through the same hook a third-party plugin uses."""
