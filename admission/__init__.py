"""The admission domain as plain rules: no database, no platform, no I/O.

What the guidance decides — the dossier's lifecycle, the steps after approval and their
deadlines in working days, who may see and do what — lives here as pure functions and small
types; ``storage/`` only persists their results and ``handlers/`` only asks them.
"""
