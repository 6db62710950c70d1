"""Background work beside the request path (see ARCHITECTURE.md)."""
