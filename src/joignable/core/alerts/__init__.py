"""Alerts: threshold rules with hysteresis on the live figures.

`rules.py` evaluates rules (raise, clear); `config.py` reads them from plain data.
"""
