"""Tests of the Discord layer (cogs/), through discord.py itself."""
