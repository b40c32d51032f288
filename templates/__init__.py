"""Every Vietnamese user-facing text, shipped as package data (read by :mod:`forms.texts`).

An importable package only so that ``importlib.resources.files("templates")`` finds the
catalogues (``*.toml``) and the jinja files (``**/*.j2``) in an installed wheel too; it holds
no code.
"""
