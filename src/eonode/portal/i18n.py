"""Languages of the portal: English and Chinese (中文), through gettext catalogs (Babel).

Catalogs are ``locale/<lang>/LC_MESSAGES/messages.po`` files, compiled in memory on first use
(no build step). The language of a request comes from ``?lang=``, then the remembered
``eonode_lang`` cookie, then the browser's ``Accept-Language``; English is the fallback. Dates
and numbers are formatted per language with Babel's CLDR data.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from functools import lru_cache
from gettext import NullTranslations
from importlib.resources import files

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

LANGUAGES = {"en": "English", "zh": "中文"}
DEFAULT = "en"
COOKIE = "eonode_lang"
_BABEL = {"en": "en", "zh": "zh_Hans_CN"}
HTML_LANG = {"en": "en", "zh": "zh-CN"}


@lru_cache(maxsize=len(LANGUAGES))
def translations(lang: str) -> NullTranslations:
    if lang == DEFAULT:
        return NullTranslations()  # the messages are English
    po = files("eonode.portal").joinpath("locale", lang, "LC_MESSAGES", "messages.po")
    catalog = read_po(io.BytesIO(po.read_bytes()), locale=_BABEL[lang])
    mo = io.BytesIO()
    write_mo(mo, catalog, use_fuzzy=False)
    mo.seek(0)
    return Translations(mo)


def locale(lang: str) -> Locale:
    return Locale.parse(_BABEL.get(lang, "en"))


def supported(lang: str | None) -> str | None:
    if not lang:
        return None
    lang = lang.strip().lower().replace("_", "-")
    if lang in LANGUAGES:
        return lang
    primary = lang.split("-")[0]
    return primary if primary in LANGUAGES else None


def negotiate(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The request's language: explicit choice, then the remembered one, then the browser's."""
    for given in (query, cookie):
        if found := supported(given):
            return found
    ranked: list[tuple[float, str]] = []
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        if found := supported(tag):
            ranked.append((weight, found))
    return max(ranked, key=lambda r: r[0])[1] if ranked else DEFAULT


def gettext(lang: str, message: str, **values: object) -> str:
    text = translations(lang).gettext(message)
    return text % values if values else text


def fmt_datetime(lang: str, value: datetime, form: str = "medium") -> str:
    return format_datetime(value, form, tzinfo=UTC, locale=locale(lang))


def fmt_date(lang: str, value: datetime, form: str = "medium") -> str:
    return format_date(value, form, locale=locale(lang))


def fmt_decimal(lang: str, value: float | int) -> str:
    return format_decimal(value, locale=locale(lang))
