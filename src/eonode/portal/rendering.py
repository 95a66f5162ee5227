"""One Jinja2 environment for the portal's templates (autoescaped, built on first use).

Templates translate with ``{{ _("…") }}`` / ``{% trans %}`` and format with the ``datetime``,
``date`` and ``decimal`` filters; the language is the render context's ``lang``, so one shared
environment serves every language and thread.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from eonode.portal import i18n


def _lang(ctx: Context) -> str:
    return str(ctx.get("lang") or i18n.DEFAULT)


# Jinja's "newstyle" wrappers escape and %-format what these return.
@pass_context
def _gettext(ctx: Context, message: str) -> str:
    return i18n.translations(_lang(ctx)).gettext(message)


@pass_context
def _ngettext(ctx: Context, singular: str, plural: str, n: int) -> str:
    return i18n.translations(_lang(ctx)).ngettext(singular, plural, n)


@pass_context
def _datetime(ctx: Context, value: datetime, form: str = "medium") -> str:
    return i18n.fmt_datetime(_lang(ctx), value, form)


@pass_context
def _date(ctx: Context, value: datetime, form: str = "medium") -> str:
    return i18n.fmt_date(_lang(ctx), value, form)


@pass_context
def _decimal(ctx: Context, value: float | int) -> str:
    return i18n.fmt_decimal(_lang(ctx), value)


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("eonode.portal", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(datetime=_datetime, date=_date, decimal=_decimal)
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
