"""Turning product packages into catalogued, downloadable products."""
