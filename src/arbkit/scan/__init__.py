"""Scanning: discover, match, watch books per game, and report fee- and depth-aware edges."""
