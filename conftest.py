"""Root pytest configuration: applies to tests/, notebooks/ and the doctests in course/."""
import matplotlib

# Never open windows in this process. (Not via MPLBACKEND: nbval's kernels would inherit it
# and stop rendering their inline figures.)
matplotlib.use("Agg")

# The golden-data generators need torch; they are scripts, not tests.
collect_ignore_glob = ["tests/golden/*.py"]
