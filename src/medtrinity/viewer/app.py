"""The viewer's HTTP API and static page (FastAPI). Reads go through DuckDB; review decisions are appended
to the run's ``_reviews.jsonl``, the same log ``medtrinity export`` honours."""

from __future__ import annotations

import getpass
from pathlib import Path

from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from medtrinity.export.reviews import ReviewError, append_decision
from medtrinity.viewer.queries import RowQuery, RunQueries

STATIC_DIR = Path(__file__).parent / "static"


class ReviewRequest(BaseModel):
    """A decision from the page: accept, reject, or edit with the new text."""

    action: str
    who: str = ""
    text: str | None = None


def create_app(run_dir: Path, reviewer: str | None = None) -> FastAPI:
    """The app for one run folder; ``reviewer`` is recorded when the page sends no name."""
    queries = RunQueries(run_dir)
    default_reviewer = reviewer or getpass.getuser()
    app = FastAPI(title="medtrinity viewer", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/")
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")

    @app.get("/api/facets")
    def facets() -> dict:
        return {**queries.facets(), "run": Path(run_dir).name}

    @app.get("/api/rows")
    def rows(offset: int = Query(0, ge=0), limit: int = Query(50, ge=1, le=200), source: str = "",
             modality: str = "", label: str = "", qc: str = "", review: str = "", text: str = "") -> dict:
        try:
            query = RowQuery(source, modality, label, qc, review, text.strip())
            return queries.page(query, offset, limit)
        except ValueError as error:
            raise HTTPException(status_code=400, detail=str(error)) from error

    @app.get("/api/rows/{row_id}")
    def row(row_id: str) -> dict:
        found = queries.detail(row_id)
        if found is None:
            raise HTTPException(status_code=404, detail=f"no row with id {row_id!r}")
        return found

    @app.get("/api/rows/{row_id}/image.png")
    def image(row_id: str) -> Response:
        png = queries.image_png(row_id)
        if png is None:
            raise HTTPException(status_code=404, detail=f"no row with id {row_id!r}")
        return Response(content=png, media_type="image/png", headers={"Cache-Control": "max-age=3600"})

    @app.post("/api/rows/{row_id}/review")
    def review(row_id: str, request: ReviewRequest) -> dict:
        if queries.detail(row_id) is None:
            raise HTTPException(status_code=404, detail=f"no row with id {row_id!r}")
        try:
            return append_decision(Path(run_dir), row_id, request.action, request.who or default_reviewer,
                                   request.text)
        except ReviewError as error:
            raise HTTPException(status_code=400, detail=str(error)) from error

    return app
