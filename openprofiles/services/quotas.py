"""The quotas' old import path: services/objects.py and services/container.py still use it."""

from openprofiles.quotas import quota

__all__ = ["quota"]
