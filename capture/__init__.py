"""evidence-capture: capture web pages as hashed, timestamped, verifiable evidence bundles."""

__version__ = "0.2.0"
