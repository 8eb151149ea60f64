"""PFIF documents for the tests: one valid document per version, to break one rule at a time."""

from __future__ import annotations

VALID_1_4 = """<?xml version="1.0" encoding="UTF-8"?>
<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4">
  <pfif:person>
    <pfif:person_record_id>example.org/p1</pfif:person_record_id>
    <pfif:entry_date>2026-11-20T10:00:00Z</pfif:entry_date>
    <pfif:expiry_date>2027-11-20T10:00:00Z</pfif:expiry_date>
    <pfif:author_name>Reunification desk</pfif:author_name>
    <pfif:author_email>desk@example.org</pfif:author_email>
    <pfif:source_name>Example County EOC</pfif:source_name>
    <pfif:source_date>2026-11-20T09:58:00Z</pfif:source_date>
    <pfif:source_url>https://example.org/people/p1</pfif:source_url>
    <pfif:full_name>José Núñez</pfif:full_name>
    <pfif:given_name>José</pfif:given_name>
    <pfif:family_name>Núñez</pfif:family_name>
    <pfif:alternate_names>Pepe Nunez</pfif:alternate_names>
    <pfif:description>red hoodie, glasses</pfif:description>
    <pfif:sex>male</pfif:sex>
    <pfif:date_of_birth>2010-03</pfif:date_of_birth>
    <pfif:age>15-17</pfif:age>
    <pfif:home_state>US-CA</pfif:home_state>
    <pfif:home_postal_code>94110-1234</pfif:home_postal_code>
    <pfif:home_country>US</pfif:home_country>
    <pfif:profile_urls>https://example.com/a
https://example.com/b</pfif:profile_urls>
    <pfif:note>
      <pfif:note_record_id>example.org/n1</pfif:note_record_id>
      <pfif:entry_date>2026-11-20T11:00:00Z</pfif:entry_date>
      <pfif:author_name>Nurse at St. Mary's</pfif:author_name>
      <pfif:source_date>2026-11-20T10:59:00Z</pfif:source_date>
      <pfif:author_made_contact>true</pfif:author_made_contact>
      <pfif:status>believed_alive</pfif:status>
      <pfif:last_known_location>St. Mary's Hospital</pfif:last_known_location>
      <pfif:text>Admitted, stable.</pfif:text>
    </pfif:note>
  </pfif:person>
  <pfif:note>
    <pfif:note_record_id>other.example.net/n9</pfif:note_record_id>
    <pfif:person_record_id>example.org/p1</pfif:person_record_id>
    <pfif:author_name>Aunt</pfif:author_name>
    <pfif:source_date>2026-11-20T12:00:00Z</pfif:source_date>
    <pfif:status>information_sought</pfif:status>
  </pfif:note>
</pfif:pfif>
"""

VALID_1_3 = """<?xml version="1.0" encoding="UTF-8"?>
<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.3">
  <pfif:person>
    <pfif:person_record_id>example.org/p2</pfif:person_record_id>
    <pfif:source_date>2026-11-20T09:58:00Z</pfif:source_date>
    <pfif:full_name>Ann Lee</pfif:full_name>
    <pfif:first_name>Ann</pfif:first_name>
    <pfif:last_name>Lee</pfif:last_name>
    <pfif:other>description: blue coat</pfif:other>
    <pfif:note>
      <pfif:note_record_id>example.org/n2</pfif:note_record_id>
      <pfif:author_name>Desk</pfif:author_name>
      <pfif:source_date>2026-11-20T10:00:00Z</pfif:source_date>
      <pfif:found>false</pfif:found>
      <pfif:status>believed_missing</pfif:status>
      <pfif:text>Not yet found.</pfif:text>
    </pfif:note>
  </pfif:person>
</pfif:pfif>
"""

VALID_1_2 = """<?xml version="1.0" encoding="UTF-8"?>
<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.2">
  <pfif:person>
    <pfif:person_record_id>example.org/p3</pfif:person_record_id>
    <pfif:first_name>Ann</pfif:first_name>
    <pfif:last_name>Lee</pfif:last_name>
    <pfif:sex>female</pfif:sex>
    <pfif:home_postal_code>94110</pfif:home_postal_code>
    <pfif:note>
      <pfif:note_record_id>example.org/n3</pfif:note_record_id>
      <pfif:author_name>Desk</pfif:author_name>
      <pfif:source_date>2026-11-20T10:00:00Z</pfif:source_date>
      <pfif:text>Looking.</pfif:text>
    </pfif:note>
  </pfif:person>
</pfif:pfif>
"""

VALID_1_1 = """<?xml version="1.0" encoding="UTF-8"?>
<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.1">
  <pfif:person>
    <pfif:person_record_id>example.org/p4</pfif:person_record_id>
    <pfif:entry_date>2005-09-03T09:21:12Z</pfif:entry_date>
    <pfif:first_name>KATHERINE</pfif:first_name>
    <pfif:last_name>DOE</pfif:last_name>
    <pfif:home_city>NEW ORLEANS</pfif:home_city>
    <pfif:home_state>LA</pfif:home_state>
    <pfif:home_zip>70112</pfif:home_zip>
    <pfif:note>
      <pfif:note_record_id>example.org/n4</pfif:note_record_id>
      <pfif:author_name>Jane Peters</pfif:author_name>
      <pfif:source_date>2005-09-03T20:52:25Z</pfif:source_date>
      <pfif:found>true</pfif:found>
      <pfif:text>Spoke to her on the phone.</pfif:text>
    </pfif:note>
  </pfif:person>
</pfif:pfif>
"""
