"""The web companion's server side: the link key (:mod:`bot.web.keys`), the aiohttp
application (:mod:`bot.web.server`). Platform-neutral pieces live in ``handlers/web/``."""
