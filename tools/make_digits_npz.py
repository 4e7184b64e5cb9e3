"""Write ``course/data/digits.npz`` from scikit-learn's copy of the UCI 8x8 digits (run once).

The course ships the data so that nothing downloads at run time; scikit-learn is
needed only here, by whoever regenerates the file, never by the course::

    python3 -m pip install scikit-learn      # into the system interpreter, not .venv
    python3 tools/make_digits_npz.py

Stores ``images`` (1797, 8, 8) and ``labels`` (1797,), both uint8 (pixel values are
counts 0..16), compressed.  Source and license: ``course/data/DATA_LICENSE.md``.
"""
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "course" / "data" / "digits.npz"


def main():
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = bunch.images.astype(np.uint8)
    labels = bunch.target.astype(np.uint8)
    assert images.shape == (1797, 8, 8) and labels.shape == (1797,)
    assert np.array_equal(images, bunch.images) and np.array_equal(labels, bunch.target)  # no rounding
    np.savez_compressed(OUT, images=images, labels=labels)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
