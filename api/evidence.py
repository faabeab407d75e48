"""Evidence (佐证材料): multipart upload with size and type limits, streamed download.

Uploads are capped before the body is read: a request whose declared length is over the limit
answers 413 without touching the body, and the engine counts the bytes it streams and refuses
the file past its limit (413 again), leaving no file and no row behind.
"""

from __future__ import annotations

import base64
from typing import Any

from flask import request, send_file
from flask.views import MethodView
from werkzeug.wrappers import Response

from api.common import ITEM, actor, make_blueprint, runtime, scope, statuses
from api.schemas import AttachedOut, IdempotencyHeaders, UploadIn
from workflow.errors import InvalidInput
from workflow.queries import evidence_download
from workflow.services.evidence import ALLOWED_SUFFIXES, MAX_BYTES, attach_evidence

bp = make_blueprint("Evidence", "Evidence files: upload, download.")
#: what a multipart envelope around one file may add to it
ENVELOPE = 64 * 1024
SHA = "/evidence/<string(length=64):sha256>"


def cap_upload() -> None:
    """Refuse over-long upload bodies before anything parses them.

    init_api runs it first of the app's request hooks (the CSRF check of a cookie request reads
    the form); Flask then refuses a declared length over the cap, and counts streamed bytes.
    """
    if request.blueprint == bp.name:
        request.max_content_length = MAX_BYTES + ENVELOPE


@bp.route(ITEM + "/evidence")
class Upload(MethodView):
    @bp.arguments(IdempotencyHeaders, location="headers")
    @bp.arguments(UploadIn, location="files")
    @bp.response(201, AttachedOut)
    @bp.alt_response(200, schema=AttachedOut, success=True,
                     description="Already attached (same file, or a retried Idempotency-Key).")
    @statuses(bp, 400, 401, 403, 404, 413)
    def post(self, headers: dict[str, Any], files: dict[str, Any],
             item_id: int) -> tuple[Any, int]:
        """Upload one file (multipart field `file`) and attach it to an item you handle.

        Allowed types: pdf, jpg, jpeg, png, doc, docx, xls, xlsx, txt; at most 20 MB.
        Statuses: 201 attached; 200 already attached (retry); 400 malformed or CSRF; 401;
        403 not a handler of the item's unit, or the item is closed; 404 not visible;
        413 over the size limit (nothing stored); 422 no file, empty file, type not allowed,
        or an Idempotency-Key used for another upload.
        """
        upload = files["file"]
        if not hasattr(upload, "stream"):
            raise InvalidInput("send the file as multipart/form-data field 'file'",
                               fields={"file": ["not a file"]})
        attached = attach_evidence(runtime(), actor(), item_id, upload.filename or "",
                                   upload.stream, idempotency_key=headers.get("idempotency_key"))
        answer = {"sha256": attached.sha256, "size": attached.size,
                  "filename": attached.filename, "content_type": attached.content_type,
                  "created": attached.created}
        return answer, 201 if attached.created else 200


_BINARY = {"schema": {"type": "string", "format": "binary"}}


@bp.route(ITEM + SHA)
class Download(MethodView):
    @bp.doc(responses={"200": {
        "description": "The file, streamed. `Content-Disposition` carries the original name "
                       "(RFC 6266 / RFC 5987 `filename*` for Chinese names); `Repr-Digest` "
                       "and `X-Content-SHA256` carry its SHA-256.",
        "content": {ctype: _BINARY for ctype in sorted(set(ALLOWED_SUFFIXES.values()))}}})
    @statuses(bp, 401, 404)
    def get(self, item_id: int, sha256: str) -> Response:
        """Download one attachment of an item you can see.

        Statuses: 200; 401; 404 item or attachment not visible, or the file is missing.
        """
        found = evidence_download(runtime(), scope(), item_id, sha256)
        answer = send_file(found.path, mimetype=found.content_type, as_attachment=True,
                           download_name=found.filename, conditional=True, etag=found.sha256)
        answer.headers["X-Content-SHA256"] = found.sha256
        answer.headers["Repr-Digest"] = "sha-256=:" + _b64(found.sha256) + ":"
        answer.headers["X-Content-Type-Options"] = "nosniff"
        answer.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return answer


def _b64(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()
