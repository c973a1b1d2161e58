"""The versioned JSON API (django-ninja, OpenAPI 3.1): translates HTTP to services and selectors."""
