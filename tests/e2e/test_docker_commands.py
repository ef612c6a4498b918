"""The commands the containers run, run here without Docker (this machine has no engine).

The commands and the environment are read from docker-compose.yml, the Dockerfile and
.env.example, so a change there that the tests do not follow fails here. The project is
installed the way the image installs it (the Dockerfile's COPY lines, then ``pip install``),
not from the checkout, so missing package data (migrations, declarations) fails here too.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from monitor.config import SCHEMA, CrawlSettings, ScheduleSettings, load_settings
from tests.conftest import PG_ADMIN_URL, REPO_ROOT, _drop_pg_database, _new_pg_database
from tests.support.config import write_config
from tests.support.httpserver import Page
from tests.support.pages import policy_page

COMPOSE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "Dockerfile"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
PASSWORD = "example-Pg-Passw0rd"


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def _env_example() -> tuple[dict[str, str], dict[str, str]]:
    """(set variables, commented-out variables with their documented default)."""
    active, documented = {}, {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$", line)
        if m:
            (documented if m.group(1) else active)[m.group(2)] = m.group(3)
    return active, documented


def _entrypoint() -> list[str]:
    entry = [rest for word, rest in _dockerfile_instructions() if word == "ENTRYPOINT"]
    assert len(entry) == 1
    return yaml.safe_load(entry[0])  # exec form is a JSON (so YAML) list


# --- the files themselves ---------------------------------------------------------------------


def test_compose_runs_migrations_then_the_scheduler_with_status_as_healthcheck():
    services = _compose()["services"]
    assert set(services) == {"db", "migrate", "policywatch"}
    db, migrate, daemon = services["db"], services["migrate"], services["policywatch"]
    assert db["image"] == "postgres:16"
    assert any(v.startswith("pgdata:") for v in db["volumes"])
    assert "pgdata" in _compose()["volumes"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert _entrypoint() == ["policywatch"]
    assert migrate["command"] == ["db", "upgrade"]
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    assert daemon["command"] == ["schedule"]
    assert daemon["depends_on"] == {
        "db": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    assert daemon["healthcheck"]["test"] == ["CMD", "policywatch", "status"]
    for svc in (migrate, daemon):
        assert svc["env_file"] == ".env"
        assert svc["image"] == "policywatch:latest" and svc["build"] == "."
        assert "PGPASSWORD" in svc["environment"]


def test_dockerfile_is_multi_stage_slim_non_root_with_debian_chromium():
    instructions = _dockerfile_instructions()
    froms = [rest for word, rest in instructions if word == "FROM"]
    assert froms == ["python:3.11-slim AS build", "python:3.11-slim"]
    final = instructions[[w for w, _ in instructions].index("FROM", 1) :]
    runs = " ".join(rest for word, rest in final if word == "RUN")
    assert "apt-get install -y --no-install-recommends chromium" in runs
    assert "rm -rf /var/lib/apt/lists/*" in runs
    assert "pip install" not in runs and "gcc" not in runs  # nothing is built in the final stage
    copies = [rest for word, rest in final if word == "COPY"]
    assert copies == ["--from=build /opt/venv /opt/venv"]
    user = [rest for word, rest in final if word == "USER"]
    assert user and user[-1].split(":")[0] not in ("0", "root")
    env = " ".join(rest for word, rest in final if word == "ENV")
    assert f"POLICYWATCH_CRAWL_CHROMIUM_PATH={CrawlSettings().chromium_path}" in env
    build_runs = [rest for word, rest in instructions[: len(instructions) - len(final)]]
    assert 'pip install ".[js]"' in build_runs


def test_env_example_documents_every_setting_with_its_real_default():
    active, documented = _env_example()
    names = {
        "POLICYWATCH_" + (f"{sec}_{key}" if sec else key).upper()
        for sec, keys in SCHEMA.items()
        for key in keys
    }
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    # the one dict-valued setting cannot come from the environment: it is explained instead
    assert "POLICYWATCH_SCHEDULE_SERVICES" in text and "[schedule.services]" in text
    names.discard("POLICYWATCH_SCHEDULE_SERVICES")
    listed = set(active) | set(documented)
    assert names | {"POLICYWATCH_CONFIG", "POSTGRES_PASSWORD", "TZ"} == listed
    assert set(active) == {"POSTGRES_PASSWORD", "POLICYWATCH_NOTIFY"}
    # the example file is a valid configuration as it stands
    settings = load_settings(env={**active, "POLICYWATCH_DATABASE_URL": "sqlite:///x.db"})
    assert settings.notify == ()
    # each commented default is the real default
    examples = {  # documented as examples, not defaults
        "POLICYWATCH_SERVICES",
        "POLICYWATCH_CONFIG",
        "POLICYWATCH_DATABASE_URL",
        "POLICYWATCH_CRAWL_USER_AGENT",
        "TZ",
    }
    defaults = load_settings(env={"POLICYWATCH_DATABASE_URL": "sqlite:///x.db"})
    for name, value in documented.items():
        if name in examples:
            continue
        one = load_settings(env={name: value, "POLICYWATCH_DATABASE_URL": "sqlite:///x.db"})
        assert one == defaults, f"{name}={value} in .env.example is not the default"
    assert documented["POLICYWATCH_SCHEDULE_CRON"] == ScheduleSettings().cron


# --- the commands, from an installed copy, against PostgreSQL ----------------------------------


@pytest.fixture
def pg_database(pg_available):
    if not pg_available:
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}")
    name, url = _new_pg_database()
    try:
        yield url
    finally:
        _drop_pg_database(name)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The image's install: the Dockerfile's COPY sources, ``pip install`` into a target dir."""
    root = tmp_path_factory.mktemp("image")
    context = root / "src"
    context.mkdir()
    for word, rest in _dockerfile_instructions():
        if word == "COPY" and not rest.startswith("--from"):
            *sources, _dest = shlex.split(rest)
            for src in sources:
                path = REPO_ROOT / src
                if path.is_dir():
                    shutil.copytree(
                        path, context / src, ignore=shutil.ignore_patterns("__pycache__")
                    )
                else:
                    shutil.copy2(path, context / src)
    site = root / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), "."],
        cwd=context,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return site


def _container_env(site: Path, database_url: str, config: Path) -> dict[str, str]:
    """.env.example's variables plus the environment block of docker-compose.yml."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POLICYWATCH_", "PG"))}
    active, _documented = _env_example()
    env.update(active)
    env["POSTGRES_PASSWORD"] = PASSWORD
    compose_env = _compose()["services"]["policywatch"]["environment"]
    assert compose_env["PGPASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    env["PGPASSWORD"] = PASSWORD  # trust auth here: it travels, and must never be printed
    assert compose_env["POLICYWATCH_DATABASE_URL"].startswith("${POLICYWATCH_DATABASE_URL:-")
    env["POLICYWATCH_DATABASE_URL"] = database_url  # db:5432 in compose, loopback here
    env["POLICYWATCH_CONFIG"] = str(config)
    env["PYTHONPATH"] = str(site)
    return env


def _run(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """Run ``policywatch ...`` with the installed console script (as the image's PATH has it)."""
    assert argv[0] == "policywatch"
    script = Path(env["PYTHONPATH"]) / "bin" / "policywatch"
    cmd = [sys.executable, str(script), *argv[1:]]
    result = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert PASSWORD not in result.stdout + result.stderr
    return result


def test_container_commands_against_postgresql(tmp_path, installed, pg_database, policy_server):
    policy_server.set("/privacy", policy_page())
    cfg = write_config(tmp_path / "policywatch.toml", policy_server.base)
    env = _container_env(installed, pg_database, cfg)
    services = _compose()["services"]
    entry = _entrypoint()
    migrate = entry + services["migrate"]["command"]
    healthcheck = services["policywatch"]["healthcheck"]["test"][1:]
    once = entry + services["policywatch"]["command"] + ["--once"]

    # the installed copy runs, not the checkout
    probe = subprocess.run(
        [sys.executable, "-c", "import monitor, migrations; print(monitor.__file__)"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert probe.stdout.startswith(str(installed)), probe.stdout + probe.stderr

    first = _run(migrate, env, tmp_path)
    assert first.returncode == 0, first.stderr
    assert "upgraded from empty to" in first.stdout
    assert "is up to date" in _run(migrate, env, tmp_path).stdout

    before = _run(healthcheck, env, tmp_path)
    assert before.returncode == 1  # no cycle yet: the compose start_period covers this
    assert "no successful scheduled cycle yet" in before.stdout

    crawl = _run(once, env, tmp_path)
    assert crawl.returncode == 0, crawl.stdout + crawl.stderr
    assert re.search(r"\[once\] run \d+ ok: example/privacy-policy new \(took ", crawl.stderr)

    after = _run(healthcheck, env, tmp_path)
    assert after.returncode == 0, after.stdout
    assert "last run:   #1 ok (schedule)" in after.stdout

    # `docker compose run --rm policywatch history example`: entrypoint + the given arguments
    history = _run(entry + ["history", "example"], env, tmp_path)
    assert history.returncode == 0, history.stderr
    assert re.search(r"privacy-policy\s+v1\s", history.stdout)
    empty = _run(entry + ["history", "linkedin"], env, tmp_path)
    assert empty.returncode == 0 and "no versions of linkedin yet" in empty.stdout + empty.stderr

    # --once exits with the crawl's exit code: 3 when a document failed
    policy_server.set("/privacy", Page("<html><body>Down</body></html>", status=503))
    failed = _run(once, env, tmp_path)
    assert failed.returncode == 3, failed.stdout + failed.stderr
    assert "example/privacy-policy failed (transient)" in failed.stderr
    report = _run(healthcheck, env, tmp_path)
    assert report.returncode == 0  # one failed fetch: the earlier cycle is recent
    assert "example/privacy-policy: 1 failure(s) in a row (transient)" in report.stdout
