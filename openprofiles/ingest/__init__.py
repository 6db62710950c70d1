"""The ingestion engine: object type definitions, mapping, templates and type detection.

Pure Python, no storage and no HTTP: the service layer calls it inside its transactions.

    definition = ObjectTypeDefinition.from_wire(name, put_profile_object_type_params)
    mapped = map_object(definition, parse_object(put_profile_object_params["Object"]))
    mapped.profile, mapped.keys, mapped.unique_key, mapped.matching_keys, …

Templates: ``list_templates()``, ``get_template(template_id)``. Detection:
``detect_object_type(objects)``. Key values for SearchProfiles: ``normalise_key``.
"""

from openprofiles.ingest.catalogue import TemplateCatalogue, get_template, list_templates
from openprofiles.ingest.detect import detect_object_type
from openprofiles.ingest.mapping import (
    KEY_VALUE_SEPARATOR,
    MAX_OBJECT_CHARACTERS,
    ExtractedKey,
    MappedObject,
    check_object_length,
    map_object,
    parse_object,
)
from openprofiles.ingest.normalise import normalise, normalise_key
from openprofiles.ingest.object_type import (
    FieldDefinition,
    KeyDefinition,
    ObjectTypeDefinition,
)
from openprofiles.ingest.targets import IDENTIFIER_OBJECT_TYPES, STANDARD_OBJECT_TYPES

__all__ = [
    "IDENTIFIER_OBJECT_TYPES",
    "KEY_VALUE_SEPARATOR",
    "MAX_OBJECT_CHARACTERS",
    "STANDARD_OBJECT_TYPES",
    "ExtractedKey",
    "FieldDefinition",
    "KeyDefinition",
    "MappedObject",
    "ObjectTypeDefinition",
    "TemplateCatalogue",
    "check_object_length",
    "detect_object_type",
    "get_template",
    "list_templates",
    "map_object",
    "normalise",
    "normalise_key",
    "parse_object",
]
