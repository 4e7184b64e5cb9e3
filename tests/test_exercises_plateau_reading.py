"""check_patience_for_first_cut (08, exercise 1): measured on the real scheduler, hints per mistake."""
import math

import pytest

from course.classroom import exercises as E
from course.classroom.exercises import plateau_reading
from course.classroom.plateau_demo import plateau_timeline

from checker_helpers import stub, verdict


def right(metrics, epoch):
    best, last = math.inf, 0
    for e, m in enumerate(metrics[:epoch + 1]):
        if m < best:
            best, last = m, e
    return epoch - last - 1


def test_a_stub_is_not_implemented_yet():
    result, out = verdict(E.check_patience_for_first_cut, stub)
    assert result is False and "not implemented yet" in out


def test_every_case_has_one_patience_and_the_scheduler_agrees():
    for case in plateau_reading._cases():
        p = plateau_reading._patience_for(case["metrics"], case["epoch"])
        cuts = [p2 for p2 in range(len(case["metrics"]) + 1)
                if list(plateau_timeline(case["metrics"], lr=0.1, patience=p2, threshold=0.0).reductions[:1]) == [case["epoch"]]]
        assert cuts == [p]  # exactly one patience cuts first there
    assert {plateau_reading._patience_for(c["metrics"], c["epoch"]) for c in plateau_reading._cases()} >= {0, 1, 3}


def test_the_reference_passes():
    assert verdict(E.check_patience_for_first_cut, right)[0] is True


@pytest.mark.parametrize("wrong, words", [
    (lambda m, e: right(m, e) + 1, "exceeds"),
    (lambda m, e: e - max(i for i in range(e + 1) if m[i] <= min(m[:i + 1])) - 1, "tie"),
    (lambda m, e: 2.5, "whole number"),
    (lambda m, e: 5, "with patience=5 the real scheduler never cuts"),
    (lambda m, e: 50, "0, 1, 2"),
])
def test_a_mistake_gets_its_hint(wrong, words):
    result, out = verdict(E.check_patience_for_first_cut, wrong)
    assert result is False and words in out and "case" in out, out
