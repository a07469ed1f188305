"""Comparing a run with its baseline, and the quality gate."""
