"""Information sharing: STIX 2.1 export and import, sharing groups, dissemination
records, and the TAXII 2.1 server."""
