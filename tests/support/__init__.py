"""Helpers shared by the tests: one module per area, named after the folder
whose conftest.py keeps the fixtures (base: tests/conftest.py)."""
