"""Settings: defaults < TOML file (``--config`` / ``POLICYWATCH_CONFIG``) < ``POLICYWATCH_*`` env.

Why a hand-written schema and not a settings library: the schema is small, the CLI must start
fast, and every error has to name the file, the key and what is expected, which is easiest
to guarantee when each key is declared once in :data:`SCHEMA` with its type and help text.

File shape (all keys optional)::

    database_url = "postgresql+psycopg://policywatch@db/policywatch"
    notify = ["mailtos://user:pass@example.com", {url = "slack://T/B/C", tags = ["ai"]}]
    alert_on = "ai"                 # ai | substantive | all
    services = ["linkedin", "google"]
    [crawl]      download_delay = 2.0 ...
    [alerts]     tracking_failures = 3 ...
    [schedule]   cron = "0 */6 * * *" ...
    [[service]]  ...                # declarations, see monitor.declarations

Env: ``POLICYWATCH_DATABASE_URL``, ``POLICYWATCH_NOTIFY`` (URLs separated by spaces or
commas), and ``POLICYWATCH_<SECTION>_<KEY>`` for every key below, e.g.
``POLICYWATCH_CRAWL_DOWNLOAD_DELAY=5``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.declarations import (
    DeclarationError,
    ServiceDeclaration,
    load_builtin,
    merge,
    parse_services,
)

ENV_PREFIX = "POLICYWATCH_"
ALERT_ON = ("ai", "substantive", "all")
ROBOTS_MODES = ("declared", "always")


class ConfigError(ValueError):
    """Configuration is invalid; the message names the source, the key and what is expected."""


@dataclass(frozen=True)
class Channel:
    """One notification channel: an Apprise URL (a secret: never print it) and its tags."""

    url: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class CrawlSettings:
    timeout: float = 1800.0
    download_timeout: float = 30.0
    download_delay: float = 2.0
    concurrent_requests: int = 16
    concurrent_per_domain: int = 1
    retry_times: int = 2
    max_body_bytes: int = 10 * 1024 * 1024
    user_agent: str = ""
    respect_robots_txt: str = "declared"
    chromium_path: str = "/usr/bin/chromium"
    autothrottle: bool = True
    #: Worker processes that extract and diff fetched pages while the crawl runs. None: one
    #: per CPU core for crawls of at least ``workers_from`` documents (a pool costs ~0.3 s and
    #: ~40 MB per worker to start, which small crawls never earn back); 0: in the crawl
    #: process itself.
    workers: int | None = None


@dataclass(frozen=True)
class AlertSettings:
    tracking_failures: int = 3
    max_attempts: int = 8
    backoff_seconds: float = 60.0
    send_timeout: float = 30.0


@dataclass(frozen=True)
class ScheduleSettings:
    cron: str = "0 */6 * * *"
    jitter: int = 600
    services: Mapping[str, str] = field(default_factory=dict)
    alert_on_missed: bool = True
    prune_after_days: float = 0.0  # 0: never; else what `db prune --older-than` does, daily


@dataclass(frozen=True)
class Settings:
    """Everything the composition roots (CLI, scheduler, crawl child) pass down."""

    database_url: str
    notify: tuple[Channel, ...] = ()
    alert_on: str = "ai"
    services: tuple[str, ...] = ()
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    declarations: Mapping[str, ServiceDeclaration] = field(default_factory=dict)
    config_path: str | None = None
    log_level: str = "INFO"

    def active_services(self) -> list[ServiceDeclaration]:
        """The services that run: all declared, or only those named in ``services``."""
        if not self.services:
            return list(self.declarations.values())
        return [self.declarations[s] for s in self.services]

    def select_services(self, names: tuple[str, ...] | list[str]) -> list[ServiceDeclaration]:
        """Services named on a command line (all active ones when none is named)."""
        if not names:
            return self.active_services()
        unknown = [n for n in names if n not in self.declarations]
        if unknown:
            known = ", ".join(sorted(self.declarations))
            raise ConfigError(f"unknown service {unknown[0]!r} (declared services: {known})")
        return [self.declarations[n] for n in names]


def default_database_url() -> str:
    """A SQLite file in the user's data directory (``~/.local/share/policywatch`` on Linux)."""
    from platformdirs import user_data_dir

    folder = Path(user_data_dir("policywatch", appauthor=False))
    return f"sqlite:///{folder / 'policywatch.db'}"


# section -> key -> (type, help); type is a Python type or a tuple of allowed strings.
SCHEMA: dict[str, dict[str, tuple[Any, str]]] = {
    "": {
        "database_url": (str, "an SQLAlchemy URL such as sqlite:///path.db"),
        "notify": (list, "a list of Apprise URLs or {url, tags} tables"),
        "alert_on": (ALERT_ON, "one of ai, substantive, all"),
        "services": (list, "a list of service slugs"),
        "log_level": (("DEBUG", "INFO", "WARNING", "ERROR"), "DEBUG, INFO, WARNING or ERROR"),
    },
    "crawl": {
        "timeout": (float, "seconds (hard limit for one crawl child)"),
        "download_timeout": (float, "seconds per request"),
        "download_delay": (float, "seconds between requests to one domain"),
        "concurrent_requests": (int, "a whole number >= 1"),
        "concurrent_per_domain": (int, "a whole number >= 1"),
        "retry_times": (int, "a whole number >= 0"),
        "max_body_bytes": (int, "bytes (bodies above are refused)"),
        "user_agent": (str, "a User-Agent string"),
        "respect_robots_txt": (ROBOTS_MODES, "'declared' or 'always'"),
        "chromium_path": (str, "path to the Chromium executable"),
        "autothrottle": (bool, "true or false"),
        "workers": (int, "a whole number >= 0 (0: no extraction worker processes)"),
    },
    "alerts": {
        "tracking_failures": (int, "a whole number >= 1 (failed fetches before one alert)"),
        "max_attempts": (int, "a whole number >= 1"),
        "backoff_seconds": (float, "seconds (first retry delay, doubled each attempt)"),
        "send_timeout": (float, "seconds"),
    },
    "schedule": {
        "cron": (str, "a 5-field cron expression like '0 */6 * * *'"),
        "jitter": (int, "seconds of random delay added to each run"),
        "services": (dict, "a table of service = cron expression"),
        "alert_on_missed": (bool, "true or false"),
        "prune_after_days": (float, "days (0: never prune raw snapshots)"),
    },
}
TOP_LEVEL_EXTRA = {"service"} | {k for k in SCHEMA if k}


def _coerce(value: Any, typ: Any, where: str, what: str) -> Any:
    """Check one value against its schema type; strings from env are converted."""
    from_env = isinstance(value, str) and where.startswith("env ")
    if isinstance(typ, tuple):
        if value not in typ:
            raise ConfigError(f"{where}: expected {what}, got {value!r}")
        return value
    if typ is bool:
        if from_env:
            low = value.strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{where}: expected {what}, got {value!r}")
    if typ in (int, float):
        if from_env:
            try:
                value = typ(value)
            except ValueError:
                raise ConfigError(f"{where}: expected {what}, got {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: expected {what}, got {value!r}")
        if typ is int and not isinstance(value, int):
            raise ConfigError(f"{where}: expected {what}, got {value!r}")
        if value < 0:
            raise ConfigError(f"{where}: expected {what}, got a negative number {value!r}")
        return typ(value)
    if typ is list and from_env:
        return [v for v in re.split(r"[\s,]+", value.strip()) if v]
    if typ is dict and from_env:
        raise ConfigError(f"{where}: cannot be set from the environment; use the config file")
    if not isinstance(value, typ):
        raise ConfigError(f"{where}: expected {what}, got {type(value).__name__} {value!r}")
    return value


def _read_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"config file {path} not found; check --config / POLICYWATCH_CONFIG"
        ) from None
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None


def _values_from_file(data: Mapping[str, Any], source: str) -> dict[tuple[str, str], Any]:
    values: dict[tuple[str, str], Any] = {}
    for key, value in data.items():
        if key in SCHEMA[""]:
            typ, what = SCHEMA[""][key]
            values[("", key)] = _coerce(value, typ, f"{source}: key {key!r}", what)
        elif key in SCHEMA and key:
            if not isinstance(value, Mapping):
                raise ConfigError(f"{source}: [{key}] must be a table")
            for sub, subval in value.items():
                if sub not in SCHEMA[key]:
                    known = ", ".join(sorted(SCHEMA[key]))
                    raise ConfigError(
                        f"{source}: unknown key '{key}.{sub}' (known keys in [{key}]: {known})"
                    )
                typ, what = SCHEMA[key][sub]
                values[(key, sub)] = _coerce(subval, typ, f"{source}: key '{key}.{sub}'", what)
        elif key != "service":
            known = ", ".join(sorted(set(SCHEMA[""]) | TOP_LEVEL_EXTRA))
            raise ConfigError(f"{source}: unknown key {key!r} (known top-level keys: {known})")
    return values


def _values_from_env(env: Mapping[str, str]) -> dict[tuple[str, str], Any]:
    values: dict[tuple[str, str], Any] = {}
    for section, keys in SCHEMA.items():
        for key, (typ, what) in keys.items():
            name = ENV_PREFIX + (f"{section}_{key}" if section else key).upper()
            if name in env and env[name] != "":
                values[(section, key)] = _coerce(env[name], typ, f"env {name}", what)
    return values


def _channels(raw: list[Any], source: str) -> tuple[Channel, ...]:
    out = []
    for i, item in enumerate(raw):
        where = f"{source}: notify[{i}]"
        if isinstance(item, str):
            out.append(Channel(url=item.strip()))
        elif isinstance(item, Mapping):
            extra = set(item) - {"url", "tags"}
            if extra:
                raise ConfigError(f"{where}: unknown key {sorted(extra)[0]!r} (known: url, tags)")
            url, tags = item.get("url"), item.get("tags", [])
            if not isinstance(url, str) or not url:
                raise ConfigError(f"{where}: expected 'url', an Apprise URL string")
            if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
                raise ConfigError(f"{where} key 'tags': expected a list of strings")
            out.append(Channel(url=url.strip(), tags=tuple(tags)))
        else:
            raise ConfigError(f"{where}: expected an Apprise URL string or {{url, tags}} table")
        if "://" not in out[-1].url:
            raise ConfigError(f"{where}: expected an Apprise URL like 'mailto://…' (no scheme)")
    return tuple(out)


def load_settings(
    config_path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    """Build :class:`Settings` from defaults, the config file and the environment."""
    env = os.environ if env is None else env
    path_str = str(config_path) if config_path else env.get(ENV_PREFIX + "CONFIG") or None
    data: dict[str, Any] = {}
    source = "defaults"
    if path_str:
        path = Path(path_str).expanduser()
        source = str(path)
        data = _read_file(path)
    values = _values_from_file(data, source)
    values.update(_values_from_env(env))

    builtin = load_builtin()
    try:
        overlay = parse_services(data, source, known=builtin)
        declarations = merge(builtin, overlay, source)
    except DeclarationError as exc:
        raise ConfigError(str(exc)) from None

    notify_raw = values.get(("", "notify"), [])
    notify_source = "env POLICYWATCH_NOTIFY" if ("", "notify") in _values_from_env(env) else source
    channels = _channels(notify_raw, notify_source)

    services = tuple(values.get(("", "services"), ()))
    for s in services:
        if not isinstance(s, str) or s not in declarations:
            known = ", ".join(sorted(declarations))
            raise ConfigError(
                f"{source}: key 'services': unknown service {s!r} (declared: {known})"
            )

    def section(name: str) -> dict[str, Any]:
        return {k: v for (sec, k), v in values.items() if sec == name}

    crawl = CrawlSettings(**section("crawl"))
    alerts = AlertSettings(**section("alerts"))
    sched = section("schedule")
    for svc, cron in dict(sched.get("services", {})).items():
        if svc not in declarations or not isinstance(cron, str):
            raise ConfigError(
                f"{source}: key 'schedule.services.{svc}': expected a declared service = cron string"
            )
    schedule = ScheduleSettings(**sched)
    for name, value in (
        ("crawl.concurrent_requests", crawl.concurrent_requests),
        ("crawl.concurrent_per_domain", crawl.concurrent_per_domain),
        ("alerts.tracking_failures", alerts.tracking_failures),
        ("alerts.max_attempts", alerts.max_attempts),
    ):
        if value < 1:
            raise ConfigError(f"{source}: key {name!r}: expected a whole number >= 1, got {value}")
    if schedule.prune_after_days != 0 and schedule.prune_after_days < 1:
        raise ConfigError(
            f"{source}: key 'schedule.prune_after_days': expected 0 (never) or at least 1 day, "
            f"got {schedule.prune_after_days:g}"
        )
    if crawl.workers is not None and crawl.workers < 0:
        raise ConfigError(
            f"{source}: key 'crawl.workers': expected a whole number >= 0, got {crawl.workers}"
        )
    _check_cron(schedule.cron, f"{source}: key 'schedule.cron'")
    for svc, cron in schedule.services.items():
        _check_cron(cron, f"{source}: key 'schedule.services.{svc}'")

    top = section("")
    return Settings(
        database_url=top.get("database_url") or default_database_url(),
        notify=channels,
        alert_on=top.get("alert_on", "ai"),
        services=services,
        crawl=crawl,
        alerts=alerts,
        schedule=schedule,
        declarations=declarations,
        config_path=path_str,
        log_level=top.get("log_level", "INFO"),
    )


_CRON_FIELD = re.compile(r"^[\d*/,\-a-zA-Z?]+$")


def _check_cron(expr: str, where: str) -> None:
    """Cheap syntactic check; APScheduler validates fully when the schedule starts."""
    parts = expr.split()
    if len(parts) != 5 or not all(_CRON_FIELD.match(p) for p in parts):
        raise ConfigError(
            f"{where}: expected a 5-field cron expression like '0 */6 * * *', got {expr!r}"
        )
