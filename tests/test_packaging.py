"""The package as a user gets it: build the wheel, install it (not editable) into a fresh
virtual environment, and run ``demo`` and ``check`` from a folder outside the repository.

This catches data files the wheel forgets (templates, form data, migrations, samples): the
rest of the suite imports the code from the working tree, where every file is present.
The new environment sees the running environment's site-packages for the dependencies
(``--no-deps`` install, no network), but never the repository itself.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import site
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Not copied to the build folder: the build must not see (or leave) anything but the source.
NOT_SOURCE = {".git", ".venv", "build", "dist", "data", "tests", "bench", "docs", "out"}
SAMPLE = ROOT / "examples" / "sample_a.json"
SAMPLE_WITH_ERRORS = ROOT / "tests" / "data" / "sample_c.json"


def _run(args: Sequence[str | Path], cwd: Path, env: dict[str, str], expect: int = 0) -> str:
    """Run ``args``; unless it exits ``expect``, show what it printed (a wheel missing a file
    fails here)."""
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == expect, (
        f"{' '.join(map(str, args))} exited {done.returncode}\n"
        f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"
    )
    return done.stdout


def _clean_env(home: Path) -> dict[str, str]:
    """The environment without anything that would put the working tree on the path."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "PIP_", "VIRTUAL_ENV", "KND_"))
    }
    env.update(HOME=str(home), PYTHONNOUSERSITE="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


def _see_dependencies(venv_python: Path, cwd: Path, env: dict[str, str]) -> None:
    """Let the new environment import the dependencies installed where pytest runs.

    ``--system-site-packages`` reaches the base interpreter only; when the suite itself runs
    in a virtual environment its site-packages are added by a ``.pth`` line, which puts the
    folder on the path without running its own ``.pth`` files (an editable install of this
    project lives there as one).
    """
    purelib = _run(
        [venv_python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd, env
    ).strip()
    lines = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (Path(purelib) / "zz_dependencies_of_the_test_run.pth").write_text(
        "\n".join(lines) + "\n", encoding="utf-8"
    )


def _not_source(folder: str, names: list[str]) -> set[str]:
    top = Path(folder).resolve() == ROOT
    return {
        n
        for n in names
        if (top and (n in NOT_SOURCE or n.startswith(".")))
        or n == "__pycache__"
        or n.endswith(".egg-info")
    }


def _can_build_wheels() -> bool:
    """setuptools builds wheels by itself from 70.1 on, with the ``wheel`` package before."""
    import setuptools

    major, minor = (int(part) for part in setuptools.__version__.split(".")[:2])
    return (major, minor) >= (70, 1) or importlib.util.find_spec("wheel") is not None


def _install_the_wheel(base: Path) -> tuple[Path, Path, dict[str, str]]:
    """(python of a fresh venv holding the built wheel, a work folder, its environment)."""
    assert _can_build_wheels(), "setuptools cannot build a wheel here: pip install -e '.[test]'"
    work = base / "work"
    work.mkdir()
    env = _clean_env(base)
    source = base / "source"  # setuptools builds in place: keep build/ out of the checkout
    shutil.copytree(ROOT, source, ignore=_not_source)
    wheels = base / "wheels"
    build = ["wheel", "--no-deps", "--no-build-isolation", "--no-cache-dir", "-q", "-w"]
    _run([sys.executable, "-m", "pip", *build, wheels, source], base, env)
    (wheel,) = wheels.glob("knd_bot-*.whl")
    venv = base / "venv"
    # without pip of its own (6 s saved): this environment's pip installs into it (--python)
    _run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv], base, env)
    python = venv / "bin" / "python"
    _see_dependencies(python, base, env)
    install = ["install", "-q", "--no-deps", "--no-index"]
    _run([sys.executable, "-m", "pip", "--python", python, *install, wheel], base, env)
    return python, work, env


def test_the_wheel_installed_in_a_fresh_venv_runs_demo_and_check(tmp_path: Path) -> None:
    # One test, not three sharing a fixture: pytest-xdist may spread a module's tests over
    # workers, and each would build its own wheel.
    python, work, env = _install_the_wheel(tmp_path)

    # the code that runs is the installed wheel, not the working tree
    venv = python.parent.parent.resolve()
    code = "import bot, forms, templates; print(bot.__file__); print(templates.__file__)"
    for line in _run([python, "-c", code], work, env).splitlines():
        location = Path(line).resolve()
        assert location.is_relative_to(venv), f"{location} is not inside {venv}"
        assert not location.is_relative_to(ROOT)

    # demo: a whole conversation (every chat template) and the draft document
    out = _run([python, "-m", "bot", "demo"], work, env)
    assert out.strip()
    assert list((work / "data" / "documents").glob("*.docx")), "demo wrote no draft document"

    # check: a clean sample and one with errors, copied outside the repository
    clean = work / "sample.json"
    shutil.copy(SAMPLE, clean)
    out = _run([python, "-m", "bot", "check", clean], work, env)
    assert out.startswith("Hồ sơ «"), out  # the text of templates/cli.toml, not its key
    with_errors = work / "sample_c.json"
    shutil.copy(SAMPLE_WITH_ERRORS, with_errors)
    out = _run([python, "-m", "bot", "check", with_errors], work, env, expect=1)
    assert "[LỖI] F1:" in out and "CHỮ IN HOA" in out  # templates/rules.toml


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Test it\n\n```sh\n(.+?)\n```", readme)
    assert block, "README.md has no sh block under '## Test it'"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    line = re.search(r"^TEST_COMMAND=(.+)$", ci, re.MULTILINE)
    assert line, ".ci/run sets no TEST_COMMAND"
    (command,) = shlex.split(line.group(1))
    assert command == block.group(1)
    assert re.search(r'^bash -c "\$TEST_COMMAND"', ci, re.MULTILINE)
