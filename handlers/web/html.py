"""HTML of the web pages: the project's jinja2 templates (``templates/web/*.j2``) in an
environment that escapes everything it inserts (the chat's environment does not: chat text
is not markup). Pages are complete documents with one same-origin stylesheet and no script
or asset of anyone else's, so the strict Content-Security-Policy of ``bot/web`` holds."""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2

from forms.texts import message


@cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("templates", package_path="."),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,
    )
    env.globals["t"] = lambda key, **kw: message(f"web.{key}", **kw)
    return env


def html(template: str, **context: Any) -> str:
    """Render ``templates/web/<template>`` (escaped)."""
    return _env().get_template(f"web/{template}").render(**context)


@cache
def stylesheet() -> str:
    """The one stylesheet (a template so that it ships with the package's data)."""
    return _env().get_template("web/style.css.j2").render()
