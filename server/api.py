"""The app factory: the routers of every domain, the error handlers, and the lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from app.domain.lifecycle import Role
from server import errors, feed_api, observability
from server.accounts import users
from server.accounts.router import router as accounts_router
from server.cases.router import router as cases_router
from server.comments.router import router as comments_router
from server.db import create_db_engine, migrate, session_factory
from server.deps import SessionDep
from server.feed import lock_feed
from server.grids.router import router as grids_router
from server.inspections.checklist_router import router as checklists_router
from server.inspections.router import router as inspections_router
from server.limits import BodyLimit
from server.models import Department, User
from server.photos.cleanup import cleanup_uploads
from server.photos.protocol import MethodOverride
from server.photos.router import router as photos_router
from server.photos.setup import open_photo_store
from server.reference import departments
from server.reference.router import router as reference_router
from server.releases_api import router as releases_router
from server.serving import is_loopback
from server.settings import Settings
from server.tracks.router import router as tracks_router
from server.tracks.site_router import router as sites_router

log = logging.getLogger("citypatrol.server")

#: The demo inspector ``demo`` is in the inspection team (督导检查组); ``inspector2`` is not.
DEMO_ACCOUNTS = (
    ("demo", "demo", Role.INSPECTOR, "演示监督员"),
    ("inspector2", "inspector2", Role.INSPECTOR, "演示监督员二"),
    ("supervisor", "supervisor", Role.SUPERVISOR, "演示值班长"),
    ("admin", "admin", Role.ADMIN, "演示管理员"),
)
#: Demo handlers (issue 15): user name = password, and their department's code.
DEMO_HANDLERS = (
    ("handler", "HWC", "演示处置人员（环卫）"),
    ("handler2", "SZSS", "演示处置人员（市政）"),
)


class Health(BaseModel):
    status: str
    database: str
    #: "ok", or "low" when photo uploads are refused because the disk is down to its reserve.
    disk: str = "ok"
    disk_free_bytes: int | None = None


def seed_demo_accounts(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        # Workers starting together would all see the accounts missing; one seeds at a time.
        lock_feed(session)
        for username, password, role, name in DEMO_ACCOUNTS:
            if session.scalar(select(User).where(User.username == username)) is None:
                users.add_user(
                    session,
                    username,
                    password,
                    role,
                    name,
                    policy=False,
                    inspection_team=username == "demo",
                )
                log.info("demo account %s (%s) created", username, role.value)
        for code, name, name_en in departments.DEMO_DEPARTMENTS:
            if session.scalar(select(Department).where(Department.code == code)) is None:
                departments.add_department(session, code, name, name_en)
        session.flush()
        for username, code, name in DEMO_HANDLERS:
            if session.scalar(select(User).where(User.username == username)) is None:
                users.add_user(
                    session, username, username, Role.HANDLER, name, policy=False, department=code
                )


health = APIRouter()


@health.get("/healthz")
def healthz(session: SessionDep, request: Request) -> Health:
    """The database answers (``status`` ok: clients sync) and how much disk is left (``disk``
    "low": photos are refused with 507 until an administrator frees space; records still sync)."""
    session.execute(text("SELECT 1"))
    settings: Settings = request.app.state.settings
    free = request.app.state.photo_store.free_bytes()
    low = free is not None and free < settings.disk_reserve_bytes
    if low:
        log.warning("disk low: %d bytes free, reserve %d", free, settings.disk_reserve_bytes)
    return Health(
        status="ok",
        database=session.get_bind().dialect.name,
        disk="low" if low else "ok",
        disk_free_bytes=free,
    )


def create_app(settings: Settings) -> FastAPI:
    """The application for ``settings``: migrations run and demo accounts are seeded on start."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_db_engine(settings.database_url, busy_timeout_s=settings.busy_timeout_s)
    sessions = session_factory(engine)
    photo_store = open_photo_store(settings, engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        migrate(engine)
        cleanup_uploads(sessions, photo_store, settings)
        if settings.demo:
            if not is_loopback(settings.host):  # the command line refuses this already
                raise RuntimeError("demo accounts are only seeded on a loopback address")
            seed_demo_accounts(sessions)
        yield
        engine.dispose()

    app = FastAPI(title="CityPatrol server", version="0.1.0", lifespan=lifespan)
    errors.install(app)
    app.add_middleware(BodyLimit)  # outside UnexpectedErrors: a 413 is no unexpected error
    app.add_middleware(
        MethodOverride
    )  # before the routes see it: a PATCH sent as a POST is a PATCH
    # Outermost: every answer, a 413 or 431 included, carries its request id and is counted.
    observability.install(app, settings)  # request ids and /metrics
    app.state.settings = settings
    app.state.sessions = sessions
    app.state.photo_store = photo_store
    for router in (
        health,
        accounts_router,
        cases_router,
        feed_api.router,
        comments_router,
        reference_router,
        photos_router,
        tracks_router,
        sites_router,
        grids_router,
        releases_router,
        inspections_router,
        checklists_router,
    ):
        app.include_router(router, responses=errors.ERROR_RESPONSES)
    return app
