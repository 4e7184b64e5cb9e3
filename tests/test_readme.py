"""The README's "It feels like PyTorch" example runs, and prints what the README says it prints."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINE = re.compile(r"^epoch\s+(\d+)\s+loss\s+(\S+)\s+lr\s+(\S+)$")


def _section(title):
    text = (ROOT / "README.md").read_text()
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def _blocks(section, language):
    return re.findall(rf"^```{language}\n(.*?)^```", section, flags=re.S | re.M)


def _rows(output):
    """(epoch, loss, lr text) of every line the example prints."""
    rows = [LINE.match(line) for line in output.strip().splitlines()]
    assert rows and all(rows), output
    return [(int(m[1]), float(m[2]), m[3]) for m in rows]


@pytest.fixture(scope="module")
def example():
    (code,) = _blocks(_section("It feels like PyTorch"), "python")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    return code, run.stdout


def test_loss_goes_down(example):
    _, output = example
    losses = [loss for _, loss, _ in _rows(output)]
    assert len(losses) >= 3
    assert losses == sorted(losses, reverse=True)
    assert losses[-1] < 0.8 * losses[0]


def test_lr_follows_step_lr(example):
    # the closed form of StepLR, with the example's own lr, step_size and gamma
    code, output = example
    lr = float(re.search(r"optim\.Adam\(.*lr=([\d.e-]+)", code)[1])
    step_size = int(re.search(r"StepLR\(.*step_size=(\d+)", code)[1])
    gamma = float(re.search(r"StepLR\(.*gamma=([\d.e-]+)", code)[1])
    rows = _rows(output)
    assert len({text for _, _, text in rows}) > 1  # the lr does change
    for epoch, _, text in rows:
        assert float(text) == pytest.approx(lr * gamma ** ((epoch - 1) // step_size), rel=0.05)


def test_readme_shows_the_real_output(example):
    # the printed block below the example: same epochs and lrs, losses to their 3 digits
    _, output = example
    (shown,) = _blocks(_section("It feels like PyTorch"), "text")
    got, want = _rows(output), _rows(shown)
    assert [(e, lr) for e, _, lr in got] == [(e, lr) for e, _, lr in want]
    assert [loss for _, loss, _ in got] == pytest.approx([loss for _, loss, _ in want], rel=0.01)
