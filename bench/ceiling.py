"""The ceiling: a minimal Flask JSON endpoint, served by bench/scale.py under the same gunicorn
settings as Sandan, so that the API's figures can be read as a share of what Flask and gunicorn
alone reach on the same machine in the same run.

    gunicorn 'bench.ceiling:create_app()'      # GET /ping answers {"ok": true}
"""

from __future__ import annotations

from flask import Flask


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/ping")
    def ping() -> dict[str, bool]:
        return {"ok": True}

    return app
