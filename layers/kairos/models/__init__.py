"""Pydantic models at every boundary: events, members, settings, journeys, sends."""
