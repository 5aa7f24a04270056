"""On-demand speed and memory benchmarks (not part of the test suite)."""
