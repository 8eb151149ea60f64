"""The authorization matrix of the response and recovery roles: what incident-command
staff, reunification staff and a victim advocate get from every protected route, at a
target of their own agency and of another (tests/web/test_route_walk_response_roles.py).

Written by hand from what each role is for (README: Response, Victim services, Security
model), not derived from the policy code; the seven roles of tests/web/matrix.py keep
their own table. The three members work at the walk's home agency (law enforcement),
like the analyst and the others, and that agency commands an incident of its own:

* These roles read no intelligence: no reports, persons, threat-assessment cases,
  sharing groups or bulletins (README, Security model: "these three read no
  intelligence"). Nor are they site staff (preparedness: the owning agency's analysts,
  supervisors, threat-assessment staff and administrators). A route that is not for
  them refuses outright (403); an object of it is not even there for them (404).
* Reunification data is worked by the agencies in the incident, there by reunification
  or incident-command staff (and supervisors): never by a victim advocate, and never
  another agency's incident.
* An incident's ICS records are read by its position holders and by the
  incident-command, reunification and supervisor staff of the agencies involved; nobody
  else learns they exist. Writing takes a position (logging, filing, requesting) or
  command (the incident commander: in the walk's incident, the supervisor), which none
  of these members holds; mutual aid is offered by supervisors or incident-command staff.
* Victim-services records belong to the provider (an agency of the victim-services
  kind) that holds them. A victim advocate of a law-enforcement agency is not its staff:
  the provider's routes are not there for it (404), like for anyone outside; it reads a
  case only as a disclosure under a consent naming its agency, as every role there does.

Every protected route of the catalog must have a row (the test fails on a route
without one), so a new route is decided for these roles too. Rows of a whole domain
these roles have no part in are written once, as refusals, over the domain's routes;
every route they may use is a row of its own (never a default).
"""

from __future__ import annotations

from tests.web.catalog import API, NONE, OTHER, OWN, PAGES, SELF, RouteCase
from tests.web.catalog_alerts import ALERT_API, ALERT_PAGES, BULLETIN_API, BULLETIN_PAGES
from tests.web.catalog_assessment import ASSESSMENT_API, ASSESSMENT_PAGES
from tests.web.catalog_improvement import IMPROVEMENT_API, IMPROVEMENT_PAGES
from tests.web.catalog_preparedness import PREPAREDNESS_API, PREPAREDNESS_PAGES
from tests.web.catalog_recovery import STAFF_API, STAFF_PAGES
from tests.web.catalog_sharing import SHARING_API, SHARING_PAGES
from tests.web.catalog_site_assessments import SITE_ASSESSMENT_API, SITE_ASSESSMENT_PAGES
from tests.web.conftest import RESPONSE_ROLES
from vigil.platform.roles import Role

# Columns, in the order of RESPONSE_ROLES.
HEADER = "ic  ru  va"
COLUMNS = dict(zip(HEADER.split(), RESPONSE_ROLES, strict=True))
assert COLUMNS == {
    "ic": Role.INCIDENT_COMMAND,
    "ru": Role.REUNIFICATION,
    "va": Role.VICTIM_ADVOCATE,
}

Row = str | dict[str, str]
ALL = "ok  ok  ok"
REFUSED = "403 403 403"  # the route is not for these roles
HIDDEN = "404 404 404"  # the object (or the route) is not there for them
REFUSED_AT = {OWN: REFUSED, OTHER: REFUSED}
NOWHERE = {OWN: HIDDEN, OTHER: HIDDEN}
# Their own account and things: theirs alone; nobody else's is even there.
ONE_OWN = {SELF: ALL, OWN: HIDDEN, OTHER: HIDDEN}
# Administering a user: not theirs to do; themselves included (nobody administers
# their own account), and another user is not shown to them.
ADMINISTER = {SELF: REFUSED, OWN: HIDDEN, OTHER: HIDDEN}


def refused_over(cases: list[RouteCase], refusal: str = REFUSED) -> dict[str, Row]:
    """A domain these roles have no part in: its routes refuse them (``refusal``), its
    objects are not there for them (404)."""
    return {case.label: refusal if case.targets == (NONE,) else NOWHERE for case in cases}


PLATFORM: dict[str, Row] = {
    "GET /": ALL,
    "GET /account": ALL,
    "POST /account/password": ALL,
    "POST /account/tokens": ALL,
    "POST /account/tokens/{token_id}/revoke": ONE_OWN,
    "GET /admin/users": REFUSED,
    "GET /admin/users/new": REFUSED,
    "POST /admin/users": REFUSED_AT,
    "GET /admin/users/{user_id}": ONE_OWN,
    "POST /admin/users/{user_id}": ADMINISTER,
    "POST /admin/users/{user_id}/roles": ADMINISTER,
    "POST /admin/users/{user_id}/password": ADMINISTER,
    "POST /admin/users/{user_id}/disable": ADMINISTER,
    "POST /admin/users/{user_id}/enable": ADMINISTER,
    "POST /admin/users/{user_id}/unlock": ADMINISTER,
    "POST /admin/users/{user_id}/reset-mfa": ADMINISTER,
    "GET /admin/agencies": ALL,
    "POST /admin/agencies": REFUSED,
    "GET /admin/agencies/{agency_id}": {OWN: ALL, OTHER: ALL},
    "POST /admin/agencies/{agency_id}": REFUSED_AT,
    "GET /audit": REFUSED,
    "GET /notifications": ALL,
    "POST /notifications/{notification_id}/read": ONE_OWN,
    "GET /admin/routing": REFUSED,
    "POST /admin/routing": REFUSED_AT,
    "POST /admin/routing/{rule_id}/delete": NOWHERE,
    "GET /api/v1/me": ALL,
    "GET /api/v1/agencies": ALL,
    "POST /api/v1/agencies": REFUSED,
    "GET /api/v1/agencies/{agency_id}": {OWN: ALL, OTHER: ALL},
    "PUT /api/v1/agencies/{agency_id}": REFUSED_AT,
    "GET /api/v1/users": REFUSED,
    "POST /api/v1/users": REFUSED_AT,
    "GET /api/v1/users/{user_id}": ONE_OWN,
    "PUT /api/v1/users/{user_id}": ADMINISTER,
    "PUT /api/v1/users/{user_id}/roles": ADMINISTER,
    "POST /api/v1/users/{user_id}/disable": ADMINISTER,
    "POST /api/v1/users/{user_id}/enable": ADMINISTER,
    "POST /api/v1/users/{user_id}/unlock": ADMINISTER,
    "POST /api/v1/users/{user_id}/reset-mfa": ADMINISTER,
    "GET /api/v1/tokens": ALL,
    "POST /api/v1/tokens": ALL,
    "DELETE /api/v1/tokens/{token_id}": ONE_OWN,
    "GET /api/v1/audit/events": REFUSED,
}

# Reports and linkage: no reports and no persons. A person, a possible match and the
# review of a pair refuse outright any role that reads no reports (tests/web/matrix.py).
INTELLIGENCE: dict[str, Row] = {
    **refused_over([case for case in (*PAGES, *API) if case.label not in PLATFORM]),
    **dict.fromkeys(
        (
            "GET /persons/{person_id}",
            "POST /persons/{person_id}/merge",
            "POST /persons/{person_id}/split",
            "GET /api/v1/persons/{person_id}",
            "GET /linkage/review/{candidate_id}",
            "POST /linkage/review/{candidate_id}",
            "POST /api/v1/linkage/review/{candidate_id}",
        ),
        REFUSED_AT,
    ),
}

# Threat assessment: no cases; opening one from a report is refused outright.
ASSESSMENT: dict[str, Row] = {
    **refused_over([*ASSESSMENT_PAGES, *ASSESSMENT_API]),
    "POST /cases": REFUSED_AT,
    "POST /api/v1/cases": REFUSED_AT,
}

# Information sharing: the groups, their collections and imports are intelligence work.
# A TAXII status is read by the importers of the sending agency: anyone else is refused.
SHARING: dict[str, Row] = {
    **refused_over([*SHARING_PAGES, *SHARING_API]),
    "GET /api/taxii2/vigil/status/{status_id}/": REFUSED_AT,
}

# Preparedness: not site staff. The list of corrective actions is everyone's (each
# member sees the actions they own: none, here).
PREPAREDNESS: dict[str, Row] = {
    **refused_over(
        [
            *PREPAREDNESS_PAGES,
            *PREPAREDNESS_API,
            *SITE_ASSESSMENT_PAGES,
            *SITE_ASSESSMENT_API,
            *IMPROVEMENT_PAGES,
            *IMPROVEMENT_API,
        ]
    ),
    "GET /preparedness/actions": ALL,
    "GET /api/v1/preparedness/actions": ALL,
}

# Bulletins are read by analysts, supervisors, tip-line operators and threat-assessment
# members; public alerts are issued by supervisors and read by analysts and supervisors.
BULLETINS_AND_ALERTS = refused_over(
    [case for case in (*BULLETIN_PAGES, *BULLETIN_API, *ALERT_PAGES, *ALERT_API) if not case.public]
)

# Understanding: the public catalogue is anyone's; deciding its review queue is for
# analysts and system administrators, Vigil's own outcomes for supervisors.
ANALYTICS: dict[str, Row] = {
    **dict.fromkeys(
        (
            "GET /analytics",
            "GET /analytics/trends.csv",
            "GET /analytics/trends.svg",
            "GET /analytics/trends.png",
            "GET /analytics/map.svg",
            "GET /analytics/map.png",
            "GET /analytics/catalog.csv",
            "GET /analytics/catalog.parquet",
            "GET /analytics/sql",
            "GET /analytics/review",
        ),
        ALL,
    ),
    "POST /analytics/review/decisions": REFUSED,
    "GET /analytics/outcomes": REFUSED,
    "GET /analytics/outcomes.csv": REFUSED,
    "GET /api/v1/analytics/outcomes": REFUSED,
    "POST /analytics/outcomes/sharing": REFUSED,
}

# Reunification: the incident's reunification and incident-command staff work its lists,
# inquiries, matches and sites; a victim advocate does not (403). Another agency's
# incident, where the home agency has no role, refuses everyone.
REUNIFICATION_DESK = {OWN: "ok  ok  403", OTHER: REFUSED}
# The operating picture: command and reunification staff open it; a viewer the policy
# refuses does not learn the incident exists.
PICTURE = {OWN: "ok  ok  404", OTHER: HIDDEN}
REUNIFICATION: dict[str, Row] = {
    **dict.fromkeys(
        (
            "GET /reunification/incidents/{incident_id}",
            "POST /reunification/incidents/{incident_id}/confirm",
            "GET /reunification/incidents/{incident_id}/upload",
            "POST /reunification/upload/list",
            "POST /reunification/upload/inquiries",
            "POST /reunification/upload/guardians",
            "POST /reunification/incidents/{incident_id}/inquiries",
            "POST /reunification/incidents/{incident_id}/match",
            "GET /reunification/incidents/{incident_id}/sites",
            "POST /reunification/incidents/{incident_id}/sites",
            "POST /reunification/incidents/{incident_id}/locations",
            "POST /reunification/incidents/{incident_id}/guardians",
            "GET /reunification/incidents/{incident_id}/sites/{site_id}",
            "POST /reunification/incidents/{incident_id}/sites/{site_id}/arrivals",
            "POST /reunification/incidents/{incident_id}/sites/{site_id}/checkins",
            "POST /reunification/incidents/{incident_id}/sites/{site_id}/releases",
            # A listed person's page, and linking their rows as the same person (or
            # removing a mistaken link).
            "GET /incidents/{incident_id}/people/{person_id}",
            "POST /incidents/{incident_id}/people/{person_id}/same-as",
            "POST /incidents/{incident_id}/people/{person_id}/same-as/{link_id}/remove",
        ),
        REUNIFICATION_DESK,
    ),
    "GET /incidents/{incident_id}/picture": PICTURE,
    "GET /incidents/{incident_id}/picture/live": PICTURE,
}

# ICS records of the home agency's incident: incident-command and reunification staff
# read them; writing takes a position or command, which they do not hold (403: they know
# the incident). A victim advocate is not told it exists, nor is anybody another
# agency's incident.
READ_RECORDS = {OWN: "ok  ok  404", OTHER: HIDDEN}
HOLDERS_ONLY = {OWN: "403 403 404", OTHER: HIDDEN}
# Mutual aid against a request: the supervisors or incident-command staff of an agency
# in the incident. The README says "the other agencies in the incident"; the commanding
# agency's own staff may offer too (as its supervisor does in tests/web/catalog_ics.py):
# an offer fills nothing until the positions that move the request on accept it.
OFFER_AID = {OWN: "ok  403 404", OTHER: HIDDEN}
# The walk's form is the commander's draft (tests/web/catalog_ics.py): a draft is its
# author's working copy, which only the author edits and submits (README: ICS forms), not
# yet a filed record of the incident; nobody else is told of it.
AUTHORS_DRAFT = NOWHERE
ICS_BASE = "/incidents/{incident_id}"
ICS_API = "/api/v1/incidents/{incident_id}"
ICS: dict[str, Row] = {
    "GET /incidents": ALL,
    "GET /api/v1/incidents": ALL,
    "GET /api/v1/resource-catalogue": ALL,
    f"GET {ICS_BASE}": READ_RECORDS,
    f"POST {ICS_BASE}/events": HOLDERS_ONLY,
    f"POST {ICS_BASE}/agencies": HOLDERS_ONLY,
    f"POST {ICS_BASE}/periods": HOLDERS_ONLY,
    f"POST {ICS_BASE}/staff": HOLDERS_ONLY,
    f"POST {ICS_BASE}/expectations": HOLDERS_ONLY,
    f"POST {ICS_BASE}/staff/{{assignment_id}}/relieve": HOLDERS_ONLY,
    f"GET {ICS_BASE}/forms/new": HOLDERS_ONLY,
    f"POST {ICS_BASE}/forms": HOLDERS_ONLY,
    f"GET {ICS_BASE}/forms/{{form_id}}": AUTHORS_DRAFT,
    f"GET {ICS_BASE}/forms/{{form_id}}/edit": AUTHORS_DRAFT,
    f"POST {ICS_BASE}/forms/{{form_id}}": AUTHORS_DRAFT,
    f"GET {ICS_BASE}/requests/new": HOLDERS_ONLY,
    f"POST {ICS_BASE}/requests": HOLDERS_ONLY,
    f"GET {ICS_BASE}/requests/{{request_id}}": READ_RECORDS,
    f"POST {ICS_BASE}/requests/{{request_id}}/transition": HOLDERS_ONLY,
    f"POST {ICS_BASE}/requests/{{request_id}}/offers": OFFER_AID,
    # Accepting or declining an offer moves the request on: the positions of its state.
    f"POST {ICS_BASE}/requests/{{request_id}}/offers/{{offer_id}}/decision": HOLDERS_ONLY,
    f"GET {ICS_API}": READ_RECORDS,
    f"POST {ICS_API}/positions": HOLDERS_ONLY,
    f"GET {ICS_API}/events": READ_RECORDS,
    f"POST {ICS_API}/events": HOLDERS_ONLY,
    f"GET {ICS_API}/forms": READ_RECORDS,
    f"POST {ICS_API}/forms": HOLDERS_ONLY,
    f"GET {ICS_API}/forms/{{form_id}}": AUTHORS_DRAFT,
    f"PUT {ICS_API}/forms/{{form_id}}": AUTHORS_DRAFT,
    f"GET {ICS_API}/resource-requests": READ_RECORDS,
    f"POST {ICS_API}/resource-requests": HOLDERS_ONLY,
    f"GET {ICS_API}/resource-requests/{{request_id}}": READ_RECORDS,
    f"POST {ICS_API}/resource-requests/{{request_id}}/transitions": HOLDERS_ONLY,
    f"POST {ICS_API}/resource-requests/{{request_id}}/offers": OFFER_AID,
    f"POST {ICS_API}/resource-requests/{{request_id}}/offers/{{offer_id}}/decision": HOLDERS_ONLY,
}

# Victim services: the provider's own routes (cases, the family assistance center, the
# fund's claims, the resiliency center) are not there for anyone outside it. A case is
# read as a disclosure under a consent naming the actor's agency ("own"), never under
# one naming another; the statistics and what a fund publishes name no one.
DISCLOSED = {OWN: ALL, OTHER: HIDDEN}
RECOVERY: dict[str, Row] = {
    **refused_over([*STAFF_PAGES, *STAFF_API], refusal=HIDDEN),
    "GET /recovery/disclosed": ALL,
    "GET /api/v1/recovery/disclosed": ALL,
    "GET /recovery/cases/{survivor_case_id}/disclosure": DISCLOSED,
    "GET /api/v1/recovery/cases/{survivor_case_id}/disclosure": DISCLOSED,
    "GET /recovery/statistics": ALL,
    "GET /api/v1/recovery/statistics": ALL,
    "GET /recovery/funds/{fund_id}/report": ALL,
    "GET /recovery/funds/{fund_id}/protocol.json": ALL,
    "GET /api/v1/recovery/funds/{fund_id}/report": ALL,
}

RESPONSE_ROLE_MATRIX: dict[str, Row] = {
    **PLATFORM,
    **INTELLIGENCE,
    **ASSESSMENT,
    **SHARING,
    **PREPAREDNESS,
    **BULLETINS_AND_ALERTS,
    **ANALYTICS,
    **REUNIFICATION,
    **ICS,
    **RECOVERY,
}
