"""Tests of the signing package and the public verification pages."""
