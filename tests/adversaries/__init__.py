"""Adversaries for the exercise checkers, one module per checker module; merged by
``tests/test_checkers_adversarial.py`` (see its ``_merge_plugins``)."""
