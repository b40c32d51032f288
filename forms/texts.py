"""Vietnamese user-facing text, kept out of code.

Short messages (parse errors, rule messages, button labels) live in TOML catalogues under
``templates/*.toml`` as ``[section] key = "jinja text"``; longer replies are ``templates/**/*.j2``
files. Both are rendered with one jinja2 environment so every layer uses the same wording
tools. Catalogues are read once per process.

The texts are package data of the ``templates`` package, read through :mod:`importlib.resources`
so an installed wheel finds them as a checkout does.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

import jinja2

from forms.memo import remembered

TEMPLATES_PACKAGE = "templates"
TEMPLATES_DIR: Traversable = files(TEMPLATES_PACKAGE)


@cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(TEMPLATES_PACKAGE, package_path="."),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        undefined=jinja2.StrictUndefined,
        # templates ship with the code: no stat() of the file at every render
        auto_reload=False,
    )
    return env


@cache
def _catalogue() -> dict[str, str]:
    """Flatten every ``templates/*.toml`` into ``"file.section.key" -> text``."""
    flat: dict[str, str] = {}
    catalogues = (f for f in TEMPLATES_DIR.iterdir() if f.is_file() and f.name.endswith(".toml"))
    for entry in sorted(catalogues, key=lambda f: f.name):
        data = tomllib.loads(entry.read_text(encoding="utf-8"))
        _flatten(entry.name.removesuffix(".toml"), data, flat)
    return flat


def _flatten(prefix: str, node: Any, out: dict[str, str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _flatten(f"{prefix}.{key}", value, out)
    else:
        out[prefix] = str(node)


@cache
def _compiled(key: str) -> jinja2.Template:
    try:
        source = _catalogue()[key]
    except KeyError:
        raise KeyError(f"no text '{key}' in templates/*.toml") from None
    return _env().from_string(source)


def has_text(key: str) -> bool:
    """Whether the catalogues hold ``key`` (a text with a variant for some readers)."""
    return key in _catalogue()


def message(key: str, **context: Any) -> str:
    """Render the catalogue entry ``key`` (e.g. ``"parse.date.invalid"``)."""
    plain = _key(context)
    if plain is not None:
        return _message(key, plain)
    return _compiled(key).render(**context)


def render(template: str, **context: Any) -> str:
    """Render a ``.j2`` file under templates/ (path relative to templates/)."""
    plain = _key(context)
    if plain is not None:
        return _file(template, plain)
    return _env().get_template(template).render(**context).strip()


#: Parameters whose text is the same whenever their value is: with only these, a text is
#: rendered once per process for the same values (a part's header, a question, a button).
_PLAIN = frozenset({str, int, bool, type(None)})


#: The parameters (name, value) and their types: True == 1, but it renders "True".
Key = tuple[tuple[tuple[str, Any], ...], tuple[type, ...]]


def _key(context: dict[str, Any]) -> Key | None:
    """The parameters as a cache key, with their types; None when one is not
    :data:`_PLAIN` (built without a Python loop: every question asks for a few)."""
    kinds = tuple(map(type, context.values()))
    if not _PLAIN.issuperset(kinds):
        return None
    return tuple(context.items()), kinds


#: 2 048, not 8 192 (issue 17, memory): at N = 500 the 8 192 rendered texts were 7.4 MB of
#: the bot's heap for 95 % hits; 2 048 keep 98.5 % of those hits (267 523 of 271 106, a
#: replay of the key stream), ≈ 0.4 µs of CPU per update more, ≈ 5.6 MB less.
@remembered(maxsize=2048)
def _message(key: str, context: Key) -> str:
    return _compiled(key).render(dict(context[0]))


#: 1 024, not 4 096: the files rendered with a person's own answers are one-offs that only
#: filled the cache (full after 150 distinct people, 7 MB); the shared ones stay hot in it
#: (issue 17: 15 013 hits instead of 15 035 over 150 people, 5 MB less).
@remembered(maxsize=1024)
def _file(template: str, context: Key) -> str:
    rendered = _env().get_template(template).render(dict(context[0]))
    return rendered.strip()


#: What stands for a value in an outline: no text holds it (people's text is cleaned of
#: control characters; a value or parameter that holds it anyway is rendered in full).
_MARK = "\x00"


def render_filled(template: str, filled: Mapping[str, str], **context: Any) -> str:
    """``render(template, **context, **filled)`` for a template that only prints each
    ``filled`` value as it is or tests whether it is empty (``{{ subject }}``,
    ``{% if subject %}``, never a filter or comparison on it).

    Why: a question's text changes with the header and with whose row it asks (a relative's
    name), so :func:`render`'s cache missed on half the questions, ~40 µs of jinja each. Here
    the template is rendered once per ``context`` and per which ``filled`` values are empty,
    with a mark in each value's place (its *outline*), and the values are put in the marks'
    places: the same text, byte for byte (``tests/test_hot_paths.py``)."""
    values = [*filled.values(), *(v for v in context.values() if isinstance(v, str))]
    plain = _key(context)
    if plain is None or any(type(v) is not str or _MARK in v for v in values):
        return render(template, **context, **filled)
    shape = tuple((name, bool(value)) for name, value in filled.items())
    text = _outline(template, plain, shape)
    for name, value in filled.items():
        if value:
            text = text.replace(f"{_MARK}{name}{_MARK}", value)
    return text.strip()


@remembered(maxsize=1024)
def _outline(template: str, context: Key, shape: tuple[tuple[str, bool], ...]) -> str:
    """The template rendered with a mark for each non-empty filled value (not stripped: the
    values at its ends are put in first)."""
    values = dict(context[0])
    values |= {name: f"{_MARK}{name}{_MARK}" if present else "" for name, present in shape}
    return _env().get_template(template).render(values)


def has_message(key: str) -> bool:
    return key in _catalogue()
