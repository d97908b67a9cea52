"""Tests of bot.places."""
