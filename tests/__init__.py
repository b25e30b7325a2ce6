"""Tests of Missed Call Text-Back."""
