"""Observation: what a run records each month (metrics, outcomes by group, snapshots)."""
