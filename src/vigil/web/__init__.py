"""The web shell: app factory, request context, security headers, shared templates."""
