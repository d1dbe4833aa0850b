"""Inputs: the parameter registry with provenance, and scenarios (TOML) and their loader."""
