"""Kairos development tooling: the embedded emulator, fakes, local runtime, simulator
and command line. Never shipped in the Lambda layer."""
