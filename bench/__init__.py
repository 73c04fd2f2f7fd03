"""Benchmarks: each measurement is reported as a ratio against a floor run measured in the
same process run on the same machine, so numbers compare across machines and days."""
