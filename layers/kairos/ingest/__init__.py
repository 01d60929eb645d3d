"""Ingest: turn LINE, shop and canonical inputs into events applied to member profiles."""
