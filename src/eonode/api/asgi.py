"""Factory for `uvicorn --factory` worker processes: settings come from the environment."""

from __future__ import annotations

from fastapi import FastAPI

from eonode.api.app import create_app
from eonode.node import Node
from eonode.settings import load_settings


def app_from_env() -> FastAPI:
    return create_app(Node.open(load_settings()), close_node=True)
