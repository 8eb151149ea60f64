"""The app factory: builds Vigil's FastAPI application from settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker

import vigil
from vigil.platform.database import check_durability, make_engine, make_sessionmaker
from vigil.platform.settings import Settings, check_settings
from vigil.web import csrf, errors, input_text, openapi_document
from vigil.web.context import BodySizeLimit, RequestContextMiddleware
from vigil.web.templating import make_templates

STATIC_DIR = Path(__file__).resolve().parent / "static"

# Routes reachable without a policy decision. Everything else must ask the policy
# module (a test walks every route to prove it).
PUBLIC_ROUTES = frozenset(
    {
        "/health",
        "/login",
        "/login/mfa",
        "/login/enrol",
        "/login/sso",
        "/login/sso/callback",
        "/logout",
        "/static",
        "/api/v1/openapi.json",
        "/tip",
        "/tip/follow-up",
        "/api/v1/tips",
        "/alerts/feed.atom",
        "/alerts/{identifier}.xml",
    }
)
# Routes that take file uploads: their bodies may be as large as max_upload_request_bytes.
UPLOAD_ROUTES = frozenset(
    {
        "/tip",
        "/reports/import",
        "/preparedness/evidence",
        "/reunification/upload/list",
        "/reunification/upload/inquiries",
        "/reunification/upload/guardians",
    }
)

API_DESCRIPTION = """\
Vigil's JSON API. Authenticate with an API token (create one on your account page)
sent as `Authorization: Bearer <token>`. Every answer is limited to what your role,
your agency and each record's marking allow. Errors are RFC 9457 problem details.
"""


def create_app(
    settings: Settings | None = None,
    *,
    session_factory: sessionmaker[Session] | None = None,
) -> FastAPI:
    """Build the application. Nothing is created at import time."""
    settings = settings or Settings()
    check_settings(settings)
    if session_factory is None:
        engine = make_engine(settings)
        check_durability(engine)
        session_factory = make_sessionmaker(engine)

    app = FastAPI(
        title="Vigil",
        version=vigil.__version__,
        description=API_DESCRIPTION,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(csrf.csrf_protect), Depends(input_text.refuse_unstorable_text)],
    )
    app.state.settings = settings
    app.state.session_factory = session_factory
    app.state.templates = make_templates()
    app.state.oidc = None

    errors.install(app)
    _include_routers(app, settings)
    openapi_document.install(app, public_paths=PUBLIC_ROUTES)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # The last added is the outermost: the request context wraps the size limit, so a
    # refused body still gets the security headers and a request id.
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_request_bytes,
        upload_paths=UPLOAD_ROUTES,
        upload_max_bytes=settings.max_upload_request_bytes,
    )
    app.add_middleware(RequestContextMiddleware, vigil_app=app)
    return app


def _include_routers(app: FastAPI, settings: Settings) -> None:
    from vigil.analytics import routes as analytics
    from vigil.assessment import api as assessment_api
    from vigil.assessment import routes as assessment
    from vigil.linkage import api as linkage_api
    from vigil.linkage import routes as linkage
    from vigil.platform.routes import account, admin, api, audit_pages, auth, sso
    from vigil.preparedness import api as preparedness_api
    from vigil.preparedness import assessment_api as site_assessment_api
    from vigil.preparedness import (
        assessment_routes,
        improvement_api,
        improvement_routes,
        patrol_routes,
        training_routes,
    )
    from vigil.preparedness import routes as preparedness
    from vigil.recovery import api as recovery_api
    from vigil.recovery import routes as recovery
    from vigil.reports import api as reports_api
    from vigil.reports import (
        escalation_routes,
        import_routes,
        retention_routes,
        routing_admin_routes,
        search_routes,
        tipline_routes,
    )
    from vigil.reports import routes as reports
    from vigil.response import ics_api, ics_routes
    from vigil.response import routes as response
    from vigil.sharing import alert_api, alert_routes, taxii
    from vigil.sharing import api as sharing_api
    from vigil.sharing import routes as sharing
    from vigil.web import routes as shell

    for module in (
        shell,
        auth,
        sso,
        account,
        admin,
        audit_pages,
        api,
        retention_routes,  # before the report pages: /reports/retention is not a report id
        import_routes,  # likewise /reports/import
        reports,
        reports_api,
        escalation_routes,
        routing_admin_routes,
        search_routes,
        tipline_routes,
        linkage,
        linkage_api,
        assessment,
        assessment_api,
        recovery,
        recovery_api,
        response,
        ics_routes,
        ics_api,
        preparedness,
        preparedness_api,
        patrol_routes,
        improvement_routes,
        training_routes,
        improvement_api,
        assessment_routes,
        site_assessment_api,
        sharing,
        sharing_api,
        taxii,
        alert_routes,
        alert_api,
        analytics,
    ):
        router: Any = module.router
        app.include_router(router)
    if settings.oidc_issuer:
        from vigil.platform import oidc

        app.state.oidc = oidc.make_provider(settings)
