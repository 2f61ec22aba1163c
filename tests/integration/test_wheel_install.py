"""The built package is whole: a wheel built from this tree, installed outside it, can send every mail and serve
Spanish pages.

The Dockerfile installs this wheel, so a template, catalogue or static file the package data does not list would
be missing in production only (the source tree has them all). The installed copy runs in a separate interpreter
whose import path holds the installed package and the dependencies, never the source tree.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "events_app"


def _source_files(folder: str) -> list[str]:
    base = PACKAGE / folder
    return sorted(str(p.relative_to(PACKAGE)) for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    # The Dockerfile's build context: these files only (a build in the source tree would also leave build/ there).
    source = work / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("events_app", "workers"):
        shutil.copytree(ROOT / folder, source / folder, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--disable-pip-version-check",
            "-w",
            str(work / "dist"),
            str(source),
        ],
        check=True,
        cwd=work,
    )
    wheels = list((work / "dist").glob("events_app-*.whl"))
    assert len(wheels) == 1, wheels
    target = work / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--disable-pip-version-check",
            "--target",
            str(target),
            str(wheels[0]),
        ],
        check=True,
        cwd=work,
    )
    return target


def _run_installed(target: Path, script: str) -> dict:
    """Run `script` with only the installed package and the dependencies importable; it prints one JSON line."""
    dependencies = sysconfig.get_paths()["purelib"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), dependencies])}
    # -S: no site-packages processing, so the editable install's path hook (which points at the source tree) is
    # not loaded; -P: the working directory is not put on the path either.
    done = subprocess.run(
        [sys.executable, "-S", "-P", "-c", textwrap.dedent(script)],
        env=env,
        cwd=target.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_wheel_carries_every_template_catalogue_and_static_file(installed: Path) -> None:
    for folder in ("mail/templates", "mail/locales", "web/templates", "web/static", "web/locales"):
        expected = _source_files(folder)
        assert expected, folder
        missing = [f for f in expected if not (installed / "events_app" / f).is_file()]
        assert missing == [], f"the wheel lacks {len(missing)} files of {folder}: {missing[:5]}"


def test_installed_copy_renders_every_mail_kind_in_every_language(installed: Path) -> None:
    result = _run_installed(
        installed,
        """
        import json
        import jinja2
        import events_app
        from events_app.domain.vocab import LANGUAGES
        from events_app.mail import render

        lenient = render.environment().overlay(undefined=jinja2.ChainableUndefined)
        rendered = {}
        for language in LANGUAGES:
            for kind in render.kinds():
                context = {"language": language, "hours": 3}  # a number: the reminder's subject picks a plural by it
                parts = [lenient.get_template(f"{kind}.{ext}").render(context) for ext in render.PARTS]
                rendered[f"{language}/{kind}"] = parts
        print(json.dumps({"package": events_app.__file__, "templates": str(render.TEMPLATES),
                          "catalogue": str(render.catalogue_path("es")), "rendered": rendered}))
    """,
    )
    assert result["package"].startswith(str(installed)), result["package"]
    assert result["catalogue"].startswith(str(installed)), result["catalogue"]
    source_kinds = {p.name.removesuffix(".subject") for p in (PACKAGE / "mail" / "templates").glob("*.subject")}
    from events_app.domain.vocab import LANGUAGES

    for language in LANGUAGES:
        for kind in source_kinds:
            assert len(result["rendered"][f"{language}/{kind}"]) == 3, (language, kind)
    # The installed catalogue translates: the Spanish messages are not the English ones.
    assert result["rendered"]["es/registration_confirmed"][0].startswith("Inscripción confirmada")
    assert "Gestionar o cancelar su inscripción" in result["rendered"]["es/registration_confirmed"][2]
    assert result["rendered"]["en/registration_confirmed"][0].startswith("Registration confirmed")
    assert result["rendered"]["es/certificate"][0].startswith("Su certificado de asistencia")  # issue 17


def test_installed_copy_serves_a_page_in_spanish(installed: Path) -> None:
    result = _run_installed(
        installed,
        """
        import json
        import events_app
        from litestar.testing import TestClient
        from events_app.web.app import create_app

        with TestClient(app=create_app()) as client:
            page = client.get("/login", headers={"accept-language": "es"}, cookies={"lang": "es"})
        print(json.dumps({"package": events_app.__file__, "status": page.status_code, "body": page.text}))
    """,
    )
    assert result["package"].startswith(str(installed)), result["package"]
    assert result["status"] == 200
    assert "Iniciar sesión" in result["body"] and "Contraseña" in result["body"]


def test_installed_package_finds_migrations_in_the_working_directory(installed: Path) -> None:
    """The image's layout: the installed package, with piccolo_conf.py and migrations/ in the working directory."""
    app = installed.parent / "app"
    app.mkdir()
    (app / "piccolo_conf.py").write_text((ROOT / "piccolo_conf.py").read_text())
    (app / "migrations").symlink_to(ROOT / "migrations")
    dependencies = sysconfig.get_paths()["purelib"]
    probe = (
        "import json, events_app, piccolo_conf\n"
        "from events_app.db.piccolo_app import APP_CONFIG\n"
        "print(json.dumps([events_app.__file__, APP_CONFIG.resolved_migrations_folder_path]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-S", "-c", probe],
        cwd=app,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(installed), dependencies])},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    package, folder = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(package).is_relative_to(installed)
    assert Path(folder).resolve() == (ROOT / "migrations" / "events").resolve()
