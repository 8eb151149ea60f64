"""The printable case summary as a PDF: everything in one reader's ``CaseView`` and
nothing more, marked on every page as a need-to-know threat-assessment record.

The text is set in USWDS's Source Sans Pro, which ``make assets`` copies into the
web package. That font covers Latin scripts only: a character it cannot print (a
Cyrillic, Arabic or Chinese name, an emoji) is printed as ``SUBSTITUTE`` and the
summary says so, rather than silently dropped or failing the download.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import TTFFont

from vigil.assessment.case_view import AssessmentView, CaseView
from vigil.assessment.vocabulary import (
    ERPO_STATUSES,
    INTERVENTION_KINDS,
    INTERVENTION_STATUSES,
    LEVELS,
    REGIMES,
    STATUSES,
    TEAM_ROLES,
)
from vigil.platform.types import utcnow
from vigil.reports.models import Report
from vigil.reports.vocabulary import ReportKind

FONT_FAMILY = "SourceSansPro"
FONT_FILES = {
    "": "sourcesanspro-regular-webfont.ttf",
    "B": "sourcesanspro-bold-webfont.ttf",
    "I": "sourcesanspro-italic-webfont.ttf",
}
FONT_DIRECTORY = ("static", "vendor", "uswds", "fonts", "source-sans-pro")
SUBSTITUTE = "¤"
MARKING = "Threat-assessment record — handle under need-to-know"
SCHOOL_MARKING = "Also a student education record — disclose only as student-record law allows"
LINE = 5.0  # mm, body text at 10 pt


class SummaryFontMissing(RuntimeError):
    """The PDF font files are not where ``make assets`` puts them."""


def font_directory() -> Path:
    return Path(str(resources.files("vigil.web").joinpath(*FONT_DIRECTORY)))


@cache
def font_files() -> dict[str, Path]:
    """The font file of each style, or a clear error when the assets are not built."""
    directory = font_directory()
    paths = {style: directory / name for style, name in FONT_FILES.items()}
    missing = [str(path) for path in paths.values() if not path.is_file()]
    if missing:
        raise SummaryFontMissing(
            "The case summary PDF needs USWDS's Source Sans Pro, which is built, not "
            f"committed: run `make assets`. Missing: {', '.join(missing)}"
        )
    return paths


def _day(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.astimezone(UTC).date().isoformat()
    return value.isoformat()


def _moment(value: datetime | None) -> str:
    return "—" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


class SummaryDocument(FPDF):
    """A Letter page with the handling marking above and below the text."""

    def __init__(self, *, footer_text: str, school_record: bool) -> None:
        super().__init__(orientation="portrait", unit="mm", format="Letter")
        printable: set[int] | None = None
        for style, path in font_files().items():
            self.add_font(FONT_FAMILY, style, str(path))
            font = self.fonts[f"{FONT_FAMILY.lower()}{style}"]
            if not isinstance(font, TTFFont):
                raise TypeError(f"{path} did not load as a TrueType font")
            codepoints = set(font.cmap)
            printable = codepoints if printable is None else printable & codepoints
        self.printable = frozenset(printable or ())
        self.footer_text = footer_text
        self.school_record = school_record
        self.substituted = 0
        self.set_margins(18, 20, 18)
        self.set_auto_page_break(auto=True, margin=20)

    def clean(self, value: object) -> str:
        """Text the font can print: tabs become spaces, the rest is substituted."""
        out = []
        for char in str(value).replace("\r\n", "\n").replace("\t", "    "):
            if char == "\n" or ord(char) in self.printable:
                out.append(char)
            else:
                out.append(SUBSTITUTE)
                self.substituted += 1
        return "".join(out)

    def header(self) -> None:
        self.set_font(FONT_FAMILY, "B", 8)
        self.set_text_color(120, 0, 0)
        self.set_y(8)
        self.cell(0, 4, MARKING, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if self.school_record:
            self.cell(0, 4, SCHOOL_MARKING, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0, 0, 0)
        self.set_y(max(self.get_y() + 2, 20))

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(FONT_FAMILY, "B", 8)
        self.set_text_color(120, 0, 0)
        self.cell(0, 4, MARKING, align="C")
        self.set_x(self.l_margin)
        self.set_font(FONT_FAMILY, "", 8)
        self.set_text_color(60, 60, 60)
        self.cell(0, 4, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_xy(self.l_margin, -11)
        self.cell(0, 4, self.footer_text, align="L")
        self.set_text_color(0, 0, 0)

    # --- building blocks ------------------------------------------------------------------

    def heading(self, title: str) -> None:
        if self.get_y() > self.h - 45:  # keep a heading with what follows it
            self.add_page()
        self.ln(3)
        self.set_font(FONT_FAMILY, "B", 13)
        self.multi_cell(0, 7, self.clean(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(160, 160, 160)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(1.5)
        self.set_font(FONT_FAMILY, "", 10)

    def subheading(self, title: str) -> None:
        if self.get_y() > self.h - 35:
            self.add_page()
        self.ln(1.5)
        self.set_font(FONT_FAMILY, "B", 11)
        self.multi_cell(0, 6, self.clean(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT_FAMILY, "", 10)

    def paragraph(self, value: object, *, style: str = "", indent: float = 0) -> None:
        self.set_font(FONT_FAMILY, style, 10)
        self.set_x(self.l_margin + indent)
        self.multi_cell(0, LINE, self.clean(value), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT_FAMILY, "", 10)

    def fields(self, rows: Iterable[tuple[str, object]], *, indent: float = 0) -> None:
        """Label and value pairs, the label in bold, each flowing onto its own lines."""
        margin = self.l_margin
        self.set_left_margin(margin + indent)
        try:
            for label, value in rows:
                self.set_x(self.l_margin)
                self.set_font(FONT_FAMILY, "B", 10)
                self.write(LINE, self.clean(f"{label}: "))
                self.set_font(FONT_FAMILY, "", 10)
                self.write(LINE, self.clean(value))
                self.ln(LINE)
        finally:
            self.set_left_margin(margin)

    def none(self, what: str) -> None:
        self.paragraph(what, style="I")


# --- the sections -------------------------------------------------------------------------


def _user(view: CaseView, user_id: int | None) -> str:
    if user_id is None:
        return "—"
    return view.users.get(user_id, f"User {user_id}")


def _overview(pdf: SummaryDocument, view: CaseView) -> None:
    case = view.case
    pdf.set_font(FONT_FAMILY, "B", 18)
    pdf.multi_cell(0, 9, pdf.clean(f"Case {case.number}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT_FAMILY, "", 14)
    pdf.multi_cell(0, 7, pdf.clean(case.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    review = _day(case.next_review_on)
    if view.review_overdue:
        review += " (past due)"
    rows: list[tuple[str, object]] = [
        ("Owning agency", view.owner_agency),
        ("Regime", REGIMES.get(case.regime, case.regime)),
        ("Status", STATUSES.get(case.status, case.status)),
        ("Opened", _moment(case.opened_at)),
        ("Status since", _moment(case.status_changed_at)),
    ]
    if case.closed_at is not None:
        rows.append(("Closed", _moment(case.closed_at)))
    rows += [
        ("Risk level", LEVELS.get(case.risk_level or "", "Not decided yet")),
        ("Level decided", _moment(case.risk_decided_at)),
        ("Next review", review if case.status != "closed" else "— (closed)"),
        ("Review interval", f"{case.review_interval_days} days"),
        ("First report", _moment(case.origin_reported_at)),
        ("First assessment", _moment(case.first_assessed_at)),
    ]
    pdf.fields(rows)
    if view.status_history:
        pdf.subheading("Status history")
        for change in view.status_history:
            moved = STATUSES.get(change.to_status, change.to_status)
            if change.from_status:
                moved = f"{STATUSES.get(change.from_status, change.from_status)} → {moved}"
            line = f"{_moment(change.at)}  {moved}, by {_user(view, change.user_id)}"
            pdf.paragraph(line + (f": {change.note}" if change.note else ""))


def _risk(pdf: SummaryDocument, view: CaseView) -> None:
    pdf.heading("Risk level and its history")
    if not view.risk_history:
        pdf.none("No risk level has been decided.")
    for decision in view.risk_history:
        pdf.subheading(
            f"{LEVELS.get(decision.level, decision.level)} — {_moment(decision.decided_at)}"
        )
        suggested = LEVELS.get(decision.suggested_level or "", "none (no answers yet)")
        pdf.fields(
            [
                ("Decided by", _user(view, decision.decided_by_user_id)),
                ("Rationale", decision.rationale),
                ("Suggested then", suggested),
            ]
        )
        for rule in decision.suggestion or []:
            level = LEVELS.get(str(rule.get("level", "")), str(rule.get("level", "")))
            pdf.paragraph(
                f"• {rule.get('instrument', '')}: {rule.get('text', '')} ({level})", indent=4
            )


def _subjects_and_team(pdf: SummaryDocument, view: CaseView) -> None:
    pdf.heading("Subjects")
    if not view.subjects:
        pdf.none("No subject recorded.")
    for subject in view.subjects:
        pdf.paragraph(subject.display_name, style="B")
        if subject.description:
            pdf.paragraph(subject.description, indent=4)
    pdf.heading("Team")
    for member in view.members:
        pdf.paragraph(
            f"{_user(view, member.user_id)} — {TEAM_ROLES.get(member.team_role, member.team_role)}"
            f", {view.agencies.get(member.agency_id, '')}, since {_day(member.added_at)}"
        )
    if view.former_members:
        pdf.subheading("Former members")
        for member in view.former_members:
            pdf.paragraph(
                f"{_user(view, member.user_id)} — "
                f"{TEAM_ROLES.get(member.team_role, member.team_role)}, "
                f"{view.agencies.get(member.agency_id, '')}, "
                f"{_day(member.added_at)} to {_day(member.removed_at)}"
            )


def _report_kind(report: Report) -> str:
    try:
        return ReportKind(report.kind).label
    except ValueError:
        return report.kind


def _reports(pdf: SummaryDocument, view: CaseView) -> None:
    pdf.heading("Linked reports")
    if not view.reports and not view.unreadable_reports:
        pdf.none("No report is linked to this case.")
    for report in view.reports:
        pdf.paragraph(
            f"{report.receipt_number} — {_report_kind(report)}, reported {_day(report.reported_at)}"
        )
    if view.unreadable_reports:
        count = view.unreadable_reports
        pdf.paragraph(
            f"{count} further linked report{'s' if count != 1 else ''} you may not read.",
            style="I",
        )


def _suggestion(pdf: SummaryDocument, view: CaseView) -> None:
    suggestion = view.suggestion
    pdf.heading("Suggested level")
    pdf.fields(
        [
            ("Suggested level", LEVELS.get(suggestion.level or "", "None yet")),
            ("Basis", suggestion.basis),
        ]
    )
    for rule in suggestion.fired:
        pdf.paragraph(
            f"• {rule.instrument}: {rule.text} ({LEVELS.get(rule.level, rule.level)})", indent=4
        )
        if rule.items:
            pdf.paragraph(f"Items: {'; '.join(rule.items)}", indent=8)


def _assessment(pdf: SummaryDocument, view: CaseView, shown: AssessmentView) -> None:
    assessment, definition = shown.assessment, shown.definition
    subject = next((s.display_name for s in view.subjects if s.id == assessment.subject_id), None)
    pdf.subheading(f"{shown.instrument.title} (version {shown.instrument.version})")
    pdf.fields(
        [
            ("Status", "Complete" if assessment.status == "final" else "Draft"),
            ("Subject", subject or "—"),
            ("Assessor", _user(view, assessment.assessor_user_id)),
            ("Started", _moment(assessment.started_at)),
            ("Completed", _moment(assessment.completed_at)),
        ]
    )
    for section in definition.sections:
        pdf.paragraph(section.title, style="B")
        for item in section.items:
            answer = shown.answers.get(item.key)
            labels = {option.value: option.label for option in definition.scales[item.scale]}
            given = "Not answered"
            if answer is not None and answer.answer is not None:
                given = labels.get(answer.answer, answer.answer)
            pdf.paragraph(f"{item.label}: {given}", indent=4)
            if answer is None:
                continue
            details: list[tuple[str, object]] = []
            if answer.sources:
                details.append(("Sources", answer.sources))
            if answer.observed_on:
                details.append(("Observed", _day(answer.observed_on)))
            if answer.notes:
                details.append(("Notes", answer.notes))
            pdf.fields(details, indent=8)


def _assessments(pdf: SummaryDocument, view: CaseView) -> None:
    pdf.heading("Assessments")
    if not view.assessments:
        pdf.none("No assessment has been started.")
    for shown in view.assessments:
        _assessment(pdf, view, shown)


def _plan(pdf: SummaryDocument, view: CaseView) -> None:
    pdf.heading("Management plan")
    if not view.interventions:
        pdf.none("No intervention is planned.")
    for item in view.interventions:
        status = INTERVENTION_STATUSES.get(item.status, item.status)
        if item.id in view.overdue_ids:
            status += " (overdue)"
        pdf.subheading(INTERVENTION_KINDS.get(item.kind, item.kind))
        rows: list[tuple[str, object]] = [
            ("Description", item.description),
            ("Owner", _user(view, item.owner_user_id)),
            ("Due", _day(item.due_on)),
            ("Status", status),
        ]
        if item.completed_at is not None:
            rows.append(("Finished", _moment(item.completed_at)))
        if item.outcome:
            rows.append(("Outcome", item.outcome))
        if item.kind == "erpo_petition":
            rows += [
                ("Petition", ERPO_STATUSES.get(item.erpo_status or "", "Not filed yet")),
                ("Filed", _day(item.erpo_filed_on)),
                ("Decided", _day(item.erpo_decided_on)),
                ("Order expires", _day(item.erpo_expires_on)),
                ("Firearms known", _count(item.firearms_reported)),
                ("Firearms relinquished", _count(item.firearms_relinquished)),
                ("Relinquished on", _day(item.relinquished_on)),
            ]
        pdf.fields(rows)


def _count(value: int | None) -> str:
    return "—" if value is None else str(value)


def _reviews_and_shares(pdf: SummaryDocument, view: CaseView) -> None:
    pdf.heading("Reviews")
    if not view.reviews:
        pdf.none("No review has been held.")
    for review in view.reviews:
        pdf.subheading(f"Review held {_day(review.held_on)}")
        pdf.fields(
            [
                ("Was due", _day(review.due_on)),
                ("Held by", _user(view, review.held_by_user_id)),
                ("Summary", review.summary),
            ]
        )
    pdf.heading("Shared with")
    if not view.shares:
        pdf.none("The case has not been shared with another agency.")
    for share in view.shares:
        pdf.subheading(view.agencies.get(share.agency_id, f"Agency {share.agency_id}"))
        rows: list[tuple[str, object]] = [
            ("Why", share.reason),
            ("Shared by", _user(view, share.shared_by_user_id)),
            ("Shared", _moment(share.shared_at)),
        ]
        if share.revoked_at is not None:
            revoked = _moment(share.revoked_at)
            if share.revoke_reason:
                revoked += f": {share.revoke_reason}"
            rows.append(("Revoked", revoked))
        pdf.fields(rows)


def _closure(pdf: SummaryDocument, view: CaseView) -> None:
    pdf.heading("Closure")
    pdf.fields(
        [
            ("Closure criteria", view.case.closure_criteria or "None recorded."),
            ("Closing summary", view.case.closing_summary or "The case is not closed."),
        ]
    )


SECTIONS: Sequence[Callable[[SummaryDocument, CaseView], None]] = (
    _risk,
    _subjects_and_team,
    _reports,
    _assessments,
    _suggestion,
    _plan,
    _reviews_and_shares,
    _closure,
)


def render_case_pdf(view: CaseView, *, reader: str, generated_at: datetime | None = None) -> bytes:
    """The case summary as PDF bytes, for ``reader`` (their name goes in the footer of
    every page, with the time it was generated)."""
    generated_at = generated_at or utcnow()
    pdf = SummaryDocument(
        footer_text=(f"Case {view.case.number} — generated {_moment(generated_at)} for {reader}"),
        school_record=view.case.regime == "school_record",
    )
    # The footer is drawn as each page closes, so clean it now to count substitutions.
    pdf.footer_text = pdf.clean(pdf.footer_text)
    pdf.set_title(pdf.clean(f"Case {view.case.number} — summary"))
    pdf.set_creator("Vigil")
    pdf.set_creation_date(generated_at)
    pdf.add_page()
    _overview(pdf, view)
    for section in SECTIONS:
        section(pdf, view)
    if pdf.substituted:
        pdf.ln(4)
        pdf.paragraph(
            f"{SUBSTITUTE} stands for a character this PDF's font cannot print (for example "
            "Cyrillic, Arabic or Chinese script); the case page in Vigil shows the text as "
            "written.",
            style="I",
        )
    return bytes(pdf.output())
