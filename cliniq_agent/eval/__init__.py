"""Benchmarks over a data folder (default ../shared/data): accuracy, validity, latency, throughput."""
