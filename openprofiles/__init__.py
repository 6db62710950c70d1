"""openprofiles: a self-hosted, wire-compatible Amazon Connect Customer Profiles server."""

__version__ = "0.1.0"
