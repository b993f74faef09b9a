"""Checks that descriptions agree with what was measured."""
