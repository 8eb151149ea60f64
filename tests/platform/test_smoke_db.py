from sqlalchemy import select

from tests.factories import make_agency, make_user
from vigil.platform.models import User
from vigil.platform.roles import Role


def test_user_round_trip(db):
    agency = make_agency(db)
    make_user(db, agency=agency, roles={Role.ANALYST}, username="alice")
    db.commit()
    found = db.execute(select(User).where(User.username == "alice")).scalar_one()
    assert found.roles == {Role.ANALYST}
    assert found.created_at.tzinfo is not None
