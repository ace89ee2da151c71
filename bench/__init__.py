"""Benchmarks and the large synthetic org they run on (not shipped in the package)."""
