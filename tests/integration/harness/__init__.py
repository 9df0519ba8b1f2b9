"""Helpers for the sfs integration tests, one module per job (see sfs_harness.py)."""
