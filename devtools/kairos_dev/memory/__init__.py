"""The memory backend: AWS data-plane semantics in process, for the simulator and
the contract tests (see kairos_dev.memory.aws)."""
