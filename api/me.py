"""GET /me: who the API thinks you are, and the CSRF token cookie sessions need for writes."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_wtf.csrf import generate_csrf

from api.common import actor, make_blueprint, statuses
from api.schemas import MeOut

bp = make_blueprint("Me", "The signed-in user.")


@bp.route("/me")
class Me(MethodView):
    @bp.response(200, MeOut)
    @statuses(bp, 401)
    def get(self) -> dict[str, Any]:
        """The current user: roles, inspected units and a CSRF token.

        Statuses: 200; 401 without a session or bearer token.
        """
        person = actor()
        return {
            "id": person.id, "username": person.username, "display_name": person.display_name,
            "org_id": person.org_id, "must_change_password": person.must_change_password,
            "roles": [{"role": g.role, "org_id": g.org_id} for g in person.grants],
            "inspects": [a.org_id for a in person.assignments],
            "csrf_token": generate_csrf(),
        }
