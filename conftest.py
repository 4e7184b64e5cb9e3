"""Root pytest configuration: applies to tests/, notebooks/ and the doctests in course/."""
import os

os.environ.setdefault("MPLBACKEND", "Agg")  # never open windows

# The golden-data generators need torch; they are scripts, not tests.
collect_ignore_glob = ["tests/golden/*.py"]
