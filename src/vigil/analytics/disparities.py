"""The disparity report: who is reported, vetted and referred, by the demographic fields
reports record (a subject's sex, and age or date of birth; Vigil records no race or
ethnicity), so that bias in what people report and in what staff do with it can be
found and fixed. Counted for one agency inside the policy boundary (the caller,
vigil.analytics.outcomes, has authorized the read); every column suppressed with the
one-way rule, and a rate shown only where both its counts are."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from vigil.analytics.suppression import suppress
from vigil.assessment.models import CaseReport
from vigil.reports.models import Mention, Report
from vigil.reports.vocabulary import FileClass, MentionRole

VETTED = (FileClass.SAR.value, FileClass.INTELLIGENCE.value)
SEXES = {"female": "Female", "male": "Male", "other": "Other", "": "Not recorded"}
AGE_BANDS = {
    "under 18": "Under 18",
    "18-24": "18 to 24",
    "25-44": "25 to 44",
    "45 and over": "45 and over",
    "": "Not recorded",
}


@dataclass(frozen=True)
class DisparityRow:
    group: str
    label: str
    reported: int | None
    vetted: int | None
    referred: int | None

    def rate(self, part: int | None) -> float | None:
        if part is None or not self.reported:
            return None
        return round(part / self.reported * 100, 1)


@dataclass(frozen=True)
class Disparity:
    key: str
    title: str
    rows: list[DisparityRow]
    totals: DisparityRow


def _age_band(age_min: int | None, age_max: int | None, born: date | None, on: date) -> str:
    age: float | None = None
    if born is not None:
        age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    elif age_min is not None and age_max is not None:
        age = (age_min + age_max) / 2
    elif age_min is not None or age_max is not None:
        age = age_min if age_min is not None else age_max
    if age is None:
        return ""
    if age < 18:
        return "under 18"
    if age < 25:
        return "18-24"
    if age < 45:
        return "25-44"
    return "45 and over"


def disparities(db: Session, *, agency_id: int, since: datetime, threshold: int) -> list[Disparity]:
    """Subjects of the agency's reports since ``since``, by recorded sex and by age band:
    how many were reported, vetted (the report became a SAR or intelligence) and
    referred (to a threat-assessment case, or disposed as a referral), suppressed."""
    referred_case = exists().where(CaseReport.report_id == Report.id)
    rows = db.execute(
        select(
            Mention.sex,
            Mention.age_min,
            Mention.age_max,
            Mention.date_of_birth,
            Report.reported_at,
            Report.file_class,
            Report.disposition,
            referred_case,
        )
        .join(Report, Report.id == Mention.report_id)
        .where(
            Report.owner_agency_id == agency_id,
            Report.reported_at >= since,
            Mention.role == MentionRole.SUBJECT.value,
        )
    ).all()
    stages: dict[str, dict[str, Counter[str]]] = {
        "sex": {"reported": Counter(), "vetted": Counter(), "referred": Counter()},
        "age": {"reported": Counter(), "vetted": Counter(), "referred": Counter()},
    }
    for sex, age_min, age_max, born, reported_at, file_class, disposition, in_case in rows:
        groups = {
            "sex": sex if sex in SEXES and sex else "",
            "age": _age_band(age_min, age_max, born, reported_at.date()),
        }
        vetted = file_class in VETTED
        referred = bool(in_case) or (disposition or "").startswith("referred_")
        for dimension, group in groups.items():
            stages[dimension]["reported"][group] += 1
            if vetted:
                stages[dimension]["vetted"][group] += 1
            if referred:
                stages[dimension]["referred"][group] += 1
    found: list[Disparity] = []
    for dimension, title, labels in (
        ("sex", "Subjects of reports by recorded sex", SEXES),
        ("age", "Subjects of reports by age at the report", AGE_BANDS),
    ):
        columns: dict[str, tuple[int | None, dict[str, int | None]]] = {
            stage: suppress({g: counts.get(g, 0) for g in labels}, threshold)
            for stage, counts in stages[dimension].items()
        }
        table_rows = [
            DisparityRow(
                group,
                label,
                columns["reported"][1][group],
                columns["vetted"][1][group],
                columns["referred"][1][group],
            )
            for group, label in labels.items()
        ]
        totals = DisparityRow(
            "", "All subjects", columns["reported"][0], columns["vetted"][0], columns["referred"][0]
        )
        found.append(Disparity(dimension, title, table_rows, totals))
    return found
