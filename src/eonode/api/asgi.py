"""Factory for `uvicorn --factory` worker processes: settings come from the environment."""

from __future__ import annotations

from fastapi import FastAPI

from eonode.api.app import create_app
from eonode.node import Node
from eonode.settings import load_settings


def app_from_env() -> FastAPI:
    """One worker's app; the process that started the workers has already migrated the database."""
    return create_app(Node.open(load_settings(), migrate=False), close_node=True)
