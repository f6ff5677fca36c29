"""Data shipped with the package: the price table (``prices.json``)."""
