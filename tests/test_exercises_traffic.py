"""check_launch_crossover (11, exercise 1): bisection on memory_traffic.launch_step_time, hints."""
import dataclasses

import pytest

from course.classroom import exercises as E
from course.classroom import memory_traffic
from course.classroom.exercises import traffic

from checker_helpers import stub, verdict


def right(k, b, bw, lat):
    return k * lat * bw / b


def test_a_stub_is_not_implemented_yet():
    result, out = verdict(E.check_launch_crossover, stub)
    assert result is False and "not implemented yet" in out


def test_the_bisection_finds_the_model_crossover():
    for args in [(16, 148, 3.35e12, 5e-6), (1, 28, 48e9, 1e-6)]:
        assert traffic._crossover(*args) == pytest.approx(memory_traffic.launch_crossover(*args), rel=1e-12)


def test_the_reference_passes():
    assert verdict(E.check_launch_crossover, right)[0] is True


@pytest.mark.parametrize("wrong, words", [
    (lambda k, b, bw, lat: lat * bw / b, "kernels * launch_latency"),
    (lambda k, b, bw, lat: k * lat * b / bw, "solve"),
    (lambda k, b, bw, lat: "1e6", "number"),
])
def test_a_mistake_gets_its_hint(wrong, words):
    result, out = verdict(E.check_launch_crossover, wrong)
    assert result is False and words in out and "case" in out, out


def test_changing_the_machines_changes_nothing():
    def doubles(k, b, bw, lat):
        for key, m in list(memory_traffic.MACHINES.items()):
            memory_traffic.MACHINES[key] = dataclasses.replace(m, bandwidth=2 * m.bandwidth)
        return right(k, b, bw, lat)
    before = dict(memory_traffic.MACHINES)
    assert verdict(E.check_launch_crossover, doubles)[0] is True  # its answers are right
    assert memory_traffic.MACHINES == before
