"""Sending a workbook: the right media type, and a Chinese file name that every browser reads.

werkzeug's `send_file` writes the name twice, as RFC 6266 asks: an ASCII fallback in
`filename=` and the UTF-8 original in `filename*=UTF-8''…` (RFC 5987 encoding), so "台账.xlsx"
arrives as 台账.xlsx and never breaks the header.
"""

from __future__ import annotations

import io

from flask import send_file
from werkzeug.wrappers import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(data: bytes, filename: str) -> Response:
    answer = send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                       download_name=filename.replace("/", "_"), max_age=0)
    answer.headers["Cache-Control"] = "private, no-store"
    return answer
