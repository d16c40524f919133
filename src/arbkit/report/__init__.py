"""The daily report (``arbkit report``): what a trading book saw, did and made, from the store.

:mod:`~arbkit.report.gather` reads one book's rows for one time window into a
:class:`~arbkit.report.model.Report` of plain figures; :mod:`~arbkit.report.text`,
:mod:`~arbkit.report.markdown` and :mod:`~arbkit.report.html` only render it, and
``Report.to_json`` is every figure with decimals as strings. P&L comes from
:func:`arbkit.trading.pnl.summarize`, so the report and ``arbkit pnl`` never disagree.
"""
