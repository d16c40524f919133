"""Trading: the risk gate, sizing, paper and live execution, positions, exits and P&L.

Every piece is an engine consumer: :class:`arbkit.trading.trader.Trader` is an engine sink
that sends each opportunity through the gate and sizing to an executor and books the fills.
"""
