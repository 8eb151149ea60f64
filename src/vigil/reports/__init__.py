"""Report intake: tips, SARs, agency reports, mentions, triage, routing, search."""
