"""Object type templates, one JSON data file per TemplateId (loaded by ingest.catalogue)."""
