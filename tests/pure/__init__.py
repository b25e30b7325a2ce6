"""Tests of the pure modules: no Home Assistant instance needed."""
