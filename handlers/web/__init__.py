"""The web companion, platform-neutral: signed links (:mod:`handlers.web.links`) and what a
link may open, asked of the access gate and recorded as a view (:mod:`handlers.web.grants`).
The aiohttp server is ``bot/web/``."""
