"""The guild store: what servers, moderators and owners create, in guilds.db (SQLite) or
in PostgreSQL, behind one small protocol (`base.Store`) with one adapter per engine.

Every statement is written once, in SQL both engines run as written (`on conflict`,
`returning`); the PostgreSQL adapter changes only the placeholder mark. Each adapter
raises the store's own errors (`bot.errors.StoreError` and its kinds), never its driver's.
"""
