"""Person linkage: which mentions across reports and agencies are the same human."""
