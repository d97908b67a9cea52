"""Places: a voter's query to the 2024 seat(s) it means, and how it matched (postcodes:
the offline table, the cache in guilds.db, postcodes.io; seat names, old seat names,
towns, wards and fuzzy matches).

May import: the shared modules at the top of `bot` (models, errors, textnorm, ...).
"""
