"""Tests of bot.evaluation."""
