"""Imported by the rendering pool's fork server only (bot/app.py ``render_pool``): importing
it prepares that process (:func:`handlers.rendering.prepare_server`), since a fork server's
preload can name modules to import but not functions to call."""

from handlers.rendering import prepare_server

prepare_server()
