"""Rules and lexicons of the AI-training clause detector, as data with ids (DESIGN.md §3.8).

The detector (``monitor.detect``) reads these tables once, compiles them and caches the result.
Every entry has an id; the ids that fire are reported as a classification's ``signals`` and as
a finding's signals, so a user can see *why* a clause was flagged. The tables live in a Python
module (not TOML) so they ship with the package without extra package-data configuration.
"""
