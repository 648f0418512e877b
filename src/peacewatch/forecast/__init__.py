"""Probabilistic forecasts of fatalities per unit-month, and their backtests and scores."""
