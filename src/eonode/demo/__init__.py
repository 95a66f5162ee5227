"""Deterministic demo content (until real product packages are ingested)."""
