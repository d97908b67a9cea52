"""Advice: pure functions from a seat's record, the server's options, the moderators'
updates and the seat model's chances to an Advice (`rules`); its rendering as plain text
and embed specs with no Discord types (`render`, `history`), and charts.

May import: the shared modules at the top of `bot`, `bot.places`, `bot.forecast` and
`bot.elections`.
"""
