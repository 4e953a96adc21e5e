"""Benchmarks: scripts that print timings and memory, never tests."""
