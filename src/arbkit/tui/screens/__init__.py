"""The dashboard's screens: one module (and one ``.tcss``) each."""
