"""The schemas of the API, one module per resource (see .base)."""
