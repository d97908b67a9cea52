"""Tests of bot.elections."""
