"""arbkit: cross-venue prediction-market arbitrage toolkit."""

__version__ = "0.1.0"
