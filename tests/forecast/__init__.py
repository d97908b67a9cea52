"""Tests of bot.forecast."""
