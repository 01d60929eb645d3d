"""Kairos: a serverless customer-journey engine for LINE-first brands.

The shared domain package, shipped to every function as one Lambda layer.
"""

__version__ = "0.1.0"
