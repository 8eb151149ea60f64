"""Respond: incidents, accountability lists, families' inquiries and reunification, PFIF."""
