"""Tests of bot.community."""
