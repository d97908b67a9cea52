"""Community: what servers create, stored in guilds.db. Settings, moderators' seat
updates (append-only, with reverts), straw polls, subscriptions, other sites' calls, and
the store the running bot writes through (one writer thread).

May import: the shared modules at the top of `bot`, and every package above but
`bot.evaluation`.
"""
