"""Every entry path cleans text the same way (issue 12): the chat's parsers, a dossier file
and the CLI compose decomposed text (NFD) and drop bidi overrides, zero-width and control
characters; a key the form does not know in a dossier file is an error."""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.cli import main
from forms import parsers as p
from forms import vn
from forms.checks import run_checks
from forms.dossier import Dossier, read_dossier
from tests.samples import ROOT, SAMPLE_PATHS, load_sample

TODAY_A = "2026-03-17"


def _nfd(value: object) -> object:
    if isinstance(value, str):
        return unicodedata.normalize("NFD", value)
    if isinstance(value, list):
        return [_nfd(v) for v in value]
    if isinstance(value, dict):
        return {k: _nfd(v) for k, v in value.items()}
    return value


def _sample_data(name: str) -> dict:
    return json.loads(SAMPLE_PATHS[name].read_text(encoding="utf-8"))


def test_invisible_characters_are_dropped_and_emoji_joiners_kept_only_in_emoji() -> None:
    dirty = "\u202eNGUY\u200bỄN\u2066 VĂN\u200d A\u00ad\ufeff\x07"
    assert vn.clean_text(dirty) == "NGUYỄN VĂN A"
    assert vn.clean_text("👨\u200d👩\u200d👧") == "👨\u200d👩\u200d👧"
    assert vn.clean_text("a\u200db") == "ab"
    assert p.parse_full_name("nguy\u202eễn v\u200dăn a") == "NGUYỄN VĂN A"


@pytest.mark.parametrize("name", ["a", "b", "c"])
def test_the_samples_read_as_before(name: str) -> None:
    data = _sample_data(name)
    assert read_dossier(data) == Dossier.model_validate(data) == load_sample(name)


def test_a_decomposed_dossier_file_is_checked_like_the_composed_one() -> None:
    data = _sample_data("a")
    decomposed = _nfd(data)
    assert decomposed != data
    dossier = read_dossier(decomposed)
    assert dossier == load_sample("a")
    flags = run_checks(dossier, today=load_sample("a").meta.chi_bo_meeting)
    assert [f for f in flags if f.is_error] == []
    assert not [f for f in flags if f.rule in ("F1", "X17")]


def test_bidi_and_zero_width_characters_never_reach_a_dossier_from_a_file() -> None:
    data = _sample_data("a")
    data["answers"]["ho_ten"] = "TRẦN\u200b MINH\u202e KHOA\u2069"
    data["tables"]["cong_tac"][0]["chuc_vu"] = "Bí thư\u200d chi đoàn\x00"
    data["relatives"][0]["nghe_nghiep"] = "\ufeffnông dân"
    data["answers"]["tu_nhan_xet"] = "Ưu điểm: tốt.\n\n\nKhuyết điểm:\u200b nóng vội."
    dossier = read_dossier(data)
    assert dossier.answers["ho_ten"] == "TRẦN MINH KHOA"
    assert dossier.rows("cong_tac")[0]["chuc_vu"] == "Bí thư chi đoàn"
    assert dossier.relatives[0]["nghe_nghiep"] == "nông dân"
    assert dossier.answers["tu_nhan_xet"] == "Ưu điểm: tốt.\nKhuyết điểm: nóng vội."
    assert Dossier.from_json(json.dumps(data)).answers["ho_ten"] == "TRẦN MINH KHOA"


@pytest.mark.parametrize(
    ("where", "path"),
    [
        ("answers", ("answers", "ho_tenn")),
        ("tables", ("tables", "cong_tacc")),
        ("row", ("tables", "cong_tac", 0, "ghi_chu")),
        ("relative", ("relatives", 0, "ten")),
    ],
)
def test_unknown_keys_in_a_dossier_file_are_errors(where: str, path: tuple) -> None:
    data = _sample_data("a")
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = [] if where == "tables" else "x"
    with pytest.raises(ValidationError) as caught:
        read_dossier(data)
    assert [e["type"] for e in caught.value.errors()] == ["extra_forbidden"]
    assert tuple(caught.value.errors()[0]["loc"]) == path


def test_the_cli_names_the_unknown_key_in_vietnamese(tmp_path: Path, capsys) -> None:
    data = _sample_data("a")
    data["answers"]["ngay_sinhh"] = "12/07/2001"
    path = tmp_path / "a.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "answers.ngay_sinhh" in err and "khóa không có trong định dạng hồ sơ" in err


def test_the_cli_reads_a_decomposed_file_without_false_errors(tmp_path: Path) -> None:
    path = tmp_path / "nfd.json"
    path.write_text(json.dumps(_nfd(_sample_data("a")), ensure_ascii=False), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "bot", "check", str(path), "--today", TODAY_A, "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert json.loads(run.stdout)["errors"] == 0
