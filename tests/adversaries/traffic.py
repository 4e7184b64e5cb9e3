"""Adversaries of course.classroom.exercises.traffic (notebook 11, exercise 1), and the reference of
check_momentum_step_inplace, which 11 no longer uses (the notebook printed its solution)."""
import numpy as np


def _old_momentum_step(p, g, buf, *, lr, momentum):
    buf *= momentum
    buf += g
    p -= lr * buf


def _cross(k, b, bw, lat):
    return k * lat * bw / b


def _sabotage(k, b, bw, lat, _done=[False]):
    """Right on the first case; then patches the model's launch time to count one kernel, and answers so."""
    from course.classroom import memory_traffic
    h = _H['h']
    if not _done[0]:
        _done[0] = True
        original = memory_traffic.launch_step_time
        h.patch(memory_traffic, "launch_step_time",
                lambda b, n, bw, kernels=1, launch_latency=0.0: original(b, n, bw, 1, launch_latency))
        return _cross(k, b, bw, lat)
    return _cross(1, b, bw, lat)


def _bandwidth_doubler(k, b, bw, lat):
    """Doubles the bandwidth of every machine of notebook 11, then answers right."""
    from course.classroom import memory_traffic
    import dataclasses
    for key, m in list(memory_traffic.MACHINES.items()):
        memory_traffic.MACHINES[key] = dataclasses.replace(m, bandwidth=2 * m.bandwidth)
    return _cross(k, b, bw, lat) * 1.01


_H = {}


def adversaries(h):
    _H['h'] = h
    return {
        "KIND": {"check_launch_crossover": "scalar"},
        "FLOAT_ARGS": {"check_launch_crossover"},
        "REF": {"check_momentum_step_inplace": _old_momentum_step},
        "SPECIFIC_WRONG": {"check_launch_crossover": {
            "one kernel": lambda k, b, bw, lat: _cross(1, b, bw, lat),
            "upside down": lambda k, b, bw, lat: 1 / _cross(k, b, bw, lat),
            "bandwidth and bytes swapped": lambda k, b, bw, lat: k * lat * b / bw,
            "in bytes, not parameters": lambda k, b, bw, lat: k * lat * bw,
            "the launch time itself": lambda k, b, bw, lat: k * lat,
            "rounded to whole parameters": lambda k, b, bw, lat: float(round(_cross(k, b, bw, lat))),
            "microseconds taken as seconds x 1e6": lambda k, b, bw, lat: _cross(k, b, bw, lat * 1e6),
            "a million times too small": lambda k, b, bw, lat: _cross(k, b, bw, lat) / 1e6,
            "twice: launch time = half the total": lambda k, b, bw, lat: 2 * _cross(k, b, bw, lat),
            "patches launch_step_time for later cases": _sabotage,
            "doubles the machines' bandwidth": _bandwidth_doubler,
        }},
        "SPECIFIC_RIGHT": {"check_launch_crossover": {
            "numpy float": lambda k, b, bw, lat: np.float64(k) * lat * bw / b,
            "bandwidth / bytes first": lambda k, b, bw, lat: bw / b * lat * k,
        }},
    }
