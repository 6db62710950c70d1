"""The botocore service models that drive the wire protocol, loaded once."""

from __future__ import annotations

import functools

import botocore.session
from botocore.model import OperationModel, ServiceModel

from openprofiles.handlers.registry import B2BI, CUSTOMER_PROFILES

__all__ = ["B2BI", "CUSTOMER_PROFILES", "SERVICES", "load_service_model", "operation_model"]

SERVICES = (CUSTOMER_PROFILES, B2BI)


@functools.cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@functools.cache
def load_service_model(name: str) -> ServiceModel:
    """The botocore model of ``name`` (``customer-profiles`` or ``b2bi``), cached."""
    model: ServiceModel = _session().get_service_model(name)
    return model


@functools.cache
def operation_model(service: str, name: str) -> OperationModel:
    """One operation of a service's model, cached (botocore rebuilds shapes on every access)."""
    model: OperationModel = load_service_model(service).operation_model(name)
    return model
