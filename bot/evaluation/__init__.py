"""Evaluation: how right the advice and the models would have been, replayed on past
elections from what was known before each (`backtest`), and the measure, calibration and
reliability diagram (`scorecard`).

May import: the shared modules at the top of `bot`, and every package above.
"""
