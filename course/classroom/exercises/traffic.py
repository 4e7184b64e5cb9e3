"""Checks for the derive exercise 1 of notebook 11: where kernel launches stop mattering.

>>> def launch_crossover(kernels, bytes_per_param, bandwidth, launch_latency):
...     return kernels * launch_latency * bandwidth / bytes_per_param
>>> check_launch_crossover(launch_crossover)
✓ check_launch_crossover: all 5 cases match course.classroom.memory_traffic.launch_step_time.
True
"""
from __future__ import annotations

import math

from .. import memory_traffic
from ._checking import checker
from .practice import _as_float, _number_mismatch, _run, _value

__all__ = ["check_launch_crossover"]

RTOL = 1e-9
_MACHINES = dict(memory_traffic.MACHINES)  # the checker's own copy, made at import


def _crossover(kernels, b, bw, latency):
    """The n at which the launch part of ``launch_step_time`` equals the bytes part: found by bisection
    on the model, not from the closed form."""
    def gap(n):
        total = memory_traffic.launch_step_time(b, n, bw, kernels=kernels, launch_latency=latency)
        return 2 * memory_traffic.step_time_floor(b, n, bw) - total  # bytes part minus launch part
    lo, hi = 0.0, 1.0
    while gap(hi) < 0:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if gap(mid) < 0 else (lo, mid)
    return (lo + hi) / 2


@checker
def check_launch_crossover(launch_crossover) -> bool:
    """``launch_crossover(kernels, bytes_per_param, bandwidth, launch_latency) -> float``: the number of
    parameters at which the time to move the bytes equals the time to launch the kernels."""
    cases = [{"desc": desc, "args": args} for desc, args in [
        ("Adam as 16 kernels, H100, 5 us", (16, 148, _MACHINES["h100"].bandwidth, 5e-6)),
        ("Adam fused (1 kernel), H100, 5 us", (1, 28, _MACHINES["h100"].bandwidth, 5e-6)),
        ("SGD momentum in place (3 kernels), A100, 5 us", (3, 40, _MACHINES["a100"].bandwidth, 5e-6)),
        ("Adam in place (12 calls), 1 CPU core, 1 us", (12, 124, _MACHINES["cpu"].bandwidth, 1e-6)),
        ("a foreach step over 200 tensors, 7 kernels, H100, 4 us", (7, 28, _MACHINES["h100"].bandwidth, 4e-6))]]

    def expect(case):
        return _crossover(*case["args"])

    def check(case, expected):
        k, b, bw, lat = case["args"]
        try:
            got = _as_float(_value(launch_crossover, k, b, bw, lat), "a number of parameters")
        finally:  # the machines of notebook 11 stay as they are, whatever the function did to them
            if memory_traffic.MACHINES != _MACHINES:
                memory_traffic.MACHINES.clear()
                memory_traffic.MACHINES.update(_MACHINES)
        if math.isclose(got, expected, rel_tol=RTOL):
            return None
        if math.isclose(got, lat * bw / b, rel_tol=1e-6):
            hint = "every kernel is one launch: the launch time is kernels * launch_latency."
        elif math.isclose(got, b / (k * lat * bw), rel_tol=1e-6) or math.isclose(got, k * lat * b / bw, rel_tol=1e-6):
            hint = "solve kernels * launch_latency = n * bytes_per_param / bandwidth for n."
        else:
            hint = "launch time kernels * launch_latency; memory time n * bytes_per_param / bandwidth: equal at n = ?"
        return _number_mismatch(got, expected, hint)

    return _run("check_launch_crossover", "course.classroom.memory_traffic.launch_step_time", cases, check, expect=expect)
