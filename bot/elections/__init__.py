"""Elections: the reference data. Its public sources (URL, sha256, licence), the
importers that build elections.db from them (and fit the seat model into it: the import
uses `bot.forecast`), and the seat records read back from it.

May import: the shared modules at the top of `bot`, `bot.places` and `bot.forecast`.
"""
