"""The journey engine: conditions, time arithmetic, triggers, entry rules and steps.

Pure domain code: no I/O and no wall clock. The evaluator Lambda drives it through a
store adapter (see docs/journeys.md, "For the evaluator").
"""
