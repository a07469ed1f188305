"""Benchmarks run side by side with their anchors: each measures the service's figure and a
baseline in the same run, and prints the ratio. Run all with ``make bench`` (``python -m bench``),
or one by name (``python -m bench cold_start``). Benchmarks are not tests: nothing here asserts."""
