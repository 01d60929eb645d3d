"""Member administration: what a brand's staff do to one member on purpose (erase, tag,
annotate, look up), one service called by both the CLI and the admin API."""
