"""What `make bench` and `make bench-operations` run (see benchmarks/run.py)."""
