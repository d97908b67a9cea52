"""Tests of bot.advice."""
