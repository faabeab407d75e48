"""Administration (admins only): units (create, rename, move, close, merge), people (create,
disable, reset password, roles), inspectors' assignments, and importing the tree from a file.

Every change is one engine call, which checks the administrator's subtree and writes the ledger;
a failed call changes nothing and its message is shown next to the field it is about. Anyone who
is not an administrator gets the 404 page, as for anything outside their scope.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from web.forms import translate
from web.views.support import ORG_KIND_LABELS, ROLE_LABELS, actor, form_errors, runtime, scope
from workflow.definitions.vocabulary import ROLES
from workflow.errors import InvalidInput, NotAllowed, NotFound, SandanError
from workflow.models import Organisation
from workflow.queries import people_in_scope
from workflow.services import accounts, org_import, org_tree, orgs
from workflow.services.admin_reads import managed_units, person_view, unit_view

bp = Blueprint("admin", __name__, url_prefix="/admin")
Page = str | tuple[str, int]
Errors = dict[str, dict[str, list[str]]]


def admins_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """Signed in and an administrator somewhere; everyone else sees the 404 page."""
    @wraps(view)
    @login_required
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if not scope().is_admin:
            abort(404)
        try:
            return view(*args, **kwargs)
        except (NotFound, NotAllowed):
            abort(404)
    return guarded


# --- units -------------------------------------------------------------------------------------

@bp.get("/")
@admins_only
def index() -> Page:
    return _tree_page()


def _tree_page(errors: Errors | None = None, status: int = 200, imported: Any = None) -> Page:
    units = managed_units(runtime(), actor())
    return render_template("admin/index.html", units=units, open_units=_choices(units),
                           kinds=_kind_choices(), errors=errors or {},
                           imported=imported), status


@bp.post("/units")
@admins_only
def create_unit() -> Response | Page:
    form = request.form
    return _change(lambda: orgs.create_org(
        runtime(), actor(), name=form.get("name", ""), kind=form.get("kind", ""),
        parent_id=form.get("parent_id", type=int), code=form.get("code") or None),
        _("The unit is created."), url_for("admin.index"), lambda e: _tree_page(e, 422), "create")


@bp.get("/units/<int:org_id>")
@admins_only
def unit(org_id: int) -> Page:
    return _unit_page(org_id)


def _unit_page(org_id: int, errors: Errors | None = None, status: int = 200) -> Page:
    return render_template("admin/unit.html", v=unit_view(runtime(), actor(), org_id),
                           open_units=_choices(managed_units(runtime(), actor())),
                           kinds=ORG_KIND_LABELS, errors=errors or {}), status


@bp.post("/units/<int:org_id>/<any(rename, move, close, merge):change>")
@admins_only
def change_unit(org_id: int, change: str) -> Response | Page:
    form, rt, me = request.form, runtime(), actor()
    unit_view(rt, me, org_id)  # the unit itself must be managed: 404 otherwise
    calls: dict[str, Callable[[], object]] = {
        "rename": lambda: org_tree.rename_org(rt, me, org_id, name=form.get("name", "")),
        "move": lambda: org_tree.move_org(rt, me, org_id,
                                          parent_id=_number(form, "parent")),
        "close": lambda: org_tree.close_org(rt, me, org_id, reason=_confirmed(form)),
        "merge": lambda: org_tree.merge_org(rt, me, org_id, into_id=_number(form, "into"),
                                            reason=_confirmed(form)),
    }
    return _change(calls[change], _("The change is saved and recorded in the ledger."),
                   url_for("admin.unit", org_id=org_id),
                   lambda e: _unit_page(org_id, e, 422), change)


@bp.post("/import")
@admins_only
def import_file() -> Response | Page:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _tree_page({"import": {"file": [_("Choose a .yaml, .yml or .xlsx file.")]}}, 422)
    suffix = Path(upload.filename).suffix.lower()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        upload.save(path)
        try:
            result = org_import.import_orgs(runtime(), actor(), path,
                                            set_passwords=bool(request.form.get("passwords")))
        except InvalidInput as exc:  # the rows' problems name the file as the user did
            problems = [p.replace(path.name, upload.filename)
                        for p in exc.details.get("problems") or [exc.message]]
            return _tree_page({"import": {"file": [_("Nothing was imported.")]},
                               "problems": {"rows": problems}}, 422)
    flash(_("The file is imported; each change is recorded in the ledger."), "success")
    return _tree_page(imported=result)


# --- people ------------------------------------------------------------------------------------

@bp.get("/people")
@admins_only
def people() -> Page:
    return _people_page()


def _people_page(errors: Errors | None = None, status: int = 200) -> Page:
    units = managed_units(runtime(), actor())
    return render_template("admin/people.html",
                           people=people_in_scope(runtime(), scope(), limit=1000),
                           names={u.id: u.name for u in units}, open_units=_choices(units),
                           errors=errors or {}), status


@bp.post("/people")
@admins_only
def create_person() -> Response | Page:
    form = request.form
    return _change(lambda: orgs.create_person(
        runtime(), actor(), username=form.get("username", ""),
        display_name=form.get("display_name", ""), password=form.get("password", ""),
        org_id=form.get("org_id", type=int), post=form.get("post") or None),
        _("The person is created; they must change the password at first sign-in."),
        url_for("admin.people"), lambda e: _people_page(e, 422), "create")


@bp.get("/people/<int:person_id>")
@admins_only
def person(person_id: int) -> Page:
    return _person_page(person_id)


def _person_page(person_id: int, errors: Errors | None = None, status: int = 200) -> Page:
    return render_template("admin/person.html", v=person_view(runtime(), actor(), person_id),
                           open_units=_choices(managed_units(runtime(), actor())),
                           roles=[(r, ROLE_LABELS[r]) for r in ROLES], errors=errors or {}), status


@bp.post("/people/<int:person_id>/<any(disable, enable, password, grant, revoke, assign, "
         "unassign):change>")
@admins_only
def change_person(person_id: int, change: str) -> Response | Page:
    form, rt, me = request.form, runtime(), actor()
    person_view(rt, me, person_id)  # the person must be managed: 404 otherwise
    org_id = form.get("org_id", type=int) or 0
    calls: dict[str, Callable[[], object]] = {
        "disable": lambda: accounts.disable_account(rt, me, person_id,
                                                    reason=_confirmed(form) or None),
        "enable": lambda: accounts.enable_account(rt, me, person_id),
        "password": lambda: accounts.reset_password(rt, me, person_id,
                                                    form.get("password", ""), must_change=True),
        "grant": lambda: orgs.grant_role(rt, me, person_id=person_id, org_id=org_id,
                                         role=form.get("role", "")),
        "revoke": lambda: accounts.revoke_role(rt, me, person_id=person_id, org_id=org_id,
                                               role=form.get("role", "")),
        "assign": lambda: orgs.assign_inspector(rt, me, person_id=person_id, org_id=org_id),
        "unassign": lambda: orgs.unassign_inspector(rt, me, person_id=person_id,
                                                    org_id=org_id),
    }
    return _change(calls[change], _("The change is saved and recorded in the ledger."),
                   url_for("admin.person", person_id=person_id),
                   lambda e: _person_page(person_id, e, 422), change)


# --- shared ------------------------------------------------------------------------------------

def _change(call: Callable[[], object], done: str, then: str,
            again: Callable[[Errors], Page], form_name: str) -> Response | Page:
    """Run one engine change: on success say so and go on; on failure show the form again
    with the message next to its field (the engine has changed nothing)."""
    try:
        call()
    except InvalidInput as exc:
        return again({form_name: _placed(exc)})
    except (NotAllowed, NotFound) as exc:  # e.g. a chosen unit outside the managed subtree
        return again({form_name: form_errors(exc)})
    flash(done, "success")
    return redirect(then)


def _placed(error: SandanError) -> dict[str, list[str]]:
    """Password policy messages name no field: they belong next to the password."""
    found = form_errors(error)
    if error.message.startswith("the password") and "password" not in found:
        found["password"] = found.pop("new_password", []) or [translate(error.message)]
    return found


def _choices(units: list[Organisation]) -> list[tuple[int, str]]:
    """Open units for a select, indented by depth so the tree shows."""
    top = min((u.depth for u in units), default=0)
    return [(u.id, "\u3000" * (u.depth - top) + u.name) for u in units if u.closed_at is None]


def _kind_choices() -> list[tuple[str, object]]:
    return [(kind, label) for kind, label in ORG_KIND_LABELS.items() if kind != "member"]


def _number(form: Any, name: str) -> int:
    value = form.get(name, type=int)
    if value is None:
        raise InvalidInput(f"{name}: choose a unit", fields={name: ["required"]})
    return int(value)


def _confirmed(form: Any) -> str:
    """Destructive changes need the box ticked; the reason goes into the ledger."""
    if not form.get("confirm"):
        raise InvalidInput("confirm: tick the box to confirm", fields={"confirm": ["required"]})
    return str(form.get("reason", ""))
