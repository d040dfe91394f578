"""Evaluation of the clause search: the gold query set, label checks, metrics and the `python -m eval` CLI."""
