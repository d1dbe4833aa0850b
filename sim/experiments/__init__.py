"""Experiments: one run, run plans, executors and the run-folder store."""
