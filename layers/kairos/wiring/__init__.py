"""Composition roots: one module per function builds its services from configuration and
AWS clients. Nothing in the domain imports these; they import the domain and the store,
so the packages below them never depend on each other in a cycle."""
