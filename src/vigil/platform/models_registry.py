"""Imports every domain's tables so the metadata (and Alembic) sees them all."""

from __future__ import annotations


def import_all_models() -> None:
    import vigil.analytics.models
    import vigil.assessment.models
    import vigil.linkage.models
    import vigil.platform.models
    import vigil.preparedness.assessment_models
    import vigil.preparedness.improvement_models
    import vigil.preparedness.models
    import vigil.recovery.models
    import vigil.reports.models
    import vigil.response.ics_models
    import vigil.response.models
    import vigil.response.site_models
    import vigil.sharing.bulletin_models
    import vigil.sharing.models  # noqa: F401
