"""Error pages of the web face, in the app's layout and the user's language.

Registered before the API's handlers (web/app.py), which wrap them so that paths under /api/v1
still answer in the API's JSON shape. An unexpected exception is logged by Flask itself
(`Flask.log_exception`, with the traceback) before the 500 handler renders the page, so the user
sees an apology and never a traceback.
"""

from __future__ import annotations

from flask import Flask, current_app, render_template
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from workflow.errors import TimedOut

#: status → (title, explanation) shown on the page
MESSAGES = {
    400: (_l("Bad request"), _l("The request was invalid or the page had expired. Reload the "
                                "page and try again.")),
    403: (_l("Not allowed"), _l("You are not allowed to do this.")),
    404: (_l("Not found"), _l("There is no such page or item, or it is not visible to you.")),
    405: (_l("Not allowed here"), _l("This page does not accept that kind of request.")),
    413: (_l("Too large"), _l("What you sent is larger than this site accepts. Send smaller "
                              "files, or fewer at a time.")),
    429: (_l("Too many attempts"), _l("Too many attempts in a short time. Please wait a little "
                                      "and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error occurred. It has been logged; "
                                         "please try again later.")),
    503: (_l("Taking too long"), _l("The database took too long to answer and nothing was "
                                    "changed. Please try again in a moment, or ask for less at "
                                    "a time.")),
}


def init_app(app: Flask) -> None:
    for code in MESSAGES:
        app.register_error_handler(code, error_page)
    app.register_error_handler(TimedOut, lambda _error: error_page(ServiceUnavailable()))


def error_page(error: HTTPException) -> tuple[str, int]:
    code = error.code if error.code in MESSAGES else 500
    title, text = MESSAGES[code]
    try:
        return render_template("error.html", code=code, title=title, text=text), code
    except Exception:  # the layout itself failed (e.g. the database is down): plain text
        current_app.logger.exception("the error page for %s could not be rendered", code)
        return f"{code} {title}", code


__all__ = ["MESSAGES", "error_page", "init_app"]
