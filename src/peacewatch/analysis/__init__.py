"""Analyses over panels and indicators: trends and change points, hotspots and spillover."""
