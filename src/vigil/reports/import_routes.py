"""The report import page: upload a CSV or JSON file of reports, see the validation report."""

from __future__ import annotations

from functools import partial as bind

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from vigil.platform import policy
from vigil.reports import import_mapping, importer
from vigil.web.deps import ActorDep, SessionDep, SettingsDep
from vigil.web.templating import render

router = APIRouter(prefix="/reports", include_in_schema=False)

# Rejected rows listed on the page; the count says how many more there were.
SHOWN_REJECTIONS = 200
# The upload body limit (settings.max_upload_request_bytes) less room for the form.
FORM_ALLOWANCE_BYTES = 1_048_576


def _page(
    request: Request,
    *,
    result: importer.ImportResult | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, object] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    settings = request.app.state.settings
    return render(
        request,
        "report_import.html",
        {
            "result": result,
            "shown": SHOWN_REJECTIONS,
            "errors": errors or {},
            "values": values or {"format": "auto", "partial": False},
            "formats": importer.FORMATS,
            "columns": import_mapping.column_reference(),
            "prefixes": list(import_mapping.MENTION_PREFIXES),
            "max_megabytes": (settings.max_upload_request_bytes - FORM_ALLOWANCE_BYTES)
            // 1_000_000,
        },
        status_code=status_code,
    )


@router.get("/import", response_class=HTMLResponse)
def import_page(request: Request, actor: ActorDep) -> HTMLResponse:
    policy.authorize(actor, "import", "report")
    return _page(request)


@router.post("/import", response_class=HTMLResponse)
async def import_file(
    request: Request, db: SessionDep, actor: ActorDep, settings: SettingsDep
) -> HTMLResponse:
    policy.authorize(actor, "import", "report")
    form = await request.form()
    chosen = form.get("format")
    file_format = chosen if isinstance(chosen, str) and chosen in importer.FORMATS else "auto"
    values = {"format": file_format, "partial": form.get("partial") == "on"}
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _page(
            request,
            errors={"file": "Choose a CSV or JSON file to import."},
            values=values,
            status_code=422,
        )
    # Parsing and triage take a while: off the event loop, like every sync route.
    result = await run_in_threadpool(
        bind(
            importer.import_reports,
            db,
            actor=actor,
            settings=settings,
            stream=upload.file,
            filename=upload.filename,
            file_format=file_format,
            partial=bool(values["partial"]),
            max_bytes=settings.max_upload_request_bytes - FORM_ALLOWANCE_BYTES,
        )
    )
    # A refused file stored nothing, but its audit record stays.
    request.state.commit_on_error = True
    return _page(request, result=result, values=values, status_code=200 if result.imported else 422)
