"""The command line, run as a user runs it: ``python -m bot VERB …`` in a subprocess."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from docx import Document

from bot import cli
from forms.checks import run_checks
from forms.definition import load_form
from forms.schema import dossier_json_schema
from tests.samples import SAMPLE_PATHS, load_sample

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_A, SAMPLE_B, SAMPLE_C = (str(SAMPLE_PATHS[k]) for k in "abc")
FORM = load_form()


def bot(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def _run_checks(name: str) -> list:
    dossier = load_sample(name)
    return run_checks(dossier, today=dossier.meta.chi_bo_meeting)


def test_check_clean_sample_exits_0() -> None:
    result = bot("check", SAMPLE_A)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_check_sample_c_json_lists_exactly_the_five_errors() -> None:
    expected = _run_checks("c")
    meeting = load_sample("c").meta.chi_bo_meeting.isoformat()
    result = bot("check", SAMPLE_C, "--json", "--today", meeting)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    errors = [f for f in report["flags"] if f["severity"] == "error"]
    assert report["errors"] == len(errors) == 5
    assert report["warnings"] == len(report["flags"]) - 5
    # the JSON is the rule engine's result, field for field
    assert [(f["rule"], f["key"], f["message"]) for f in report["flags"]] == [
        (f.rule, f.key, f.message) for f in expected
    ]
    # one error per deliberate mistake: name, religion, Youth Union date, history, grandfather
    items = {f["item"] for f in errors}
    assert {1, 9, 12, 21} <= items
    assert items & {14, 15}
    for flag in report["flags"]:
        assert set(flag) >= {"rule", "severity", "item", "field", "row", "message", "key"}


def test_check_readable_report_groups_by_item_in_booklet_order() -> None:
    result = bot("check", SAMPLE_C)
    assert result.returncode == 1
    out = result.stdout
    assert "5 lỗi" in out.splitlines()[0]
    headings = [
        f"(1) {FORM.item(1).label}",
        f"(9) {FORM.item(9).label}",
        f"(12) {FORM.item(12).label}",
        f"(21) {FORM.item(21).label}",
    ]
    positions = [out.find(h) for h in headings]
    assert -1 not in positions and positions == sorted(positions)
    assert out.count("[LỖI]") == 5
    # the deceased grandfather is named, not given as a row index
    grandfather = next(r for r in load_sample("c").relatives if r.get("da_mat") == "có")
    assert grandfather["ho_ten"] in out


def test_explanations_are_shown(tmp_path: Path) -> None:
    flags = _run_checks("b")
    if not flags:
        pytest.skip("sample B raises no warning to explain")
    dossier = load_sample("b")
    dossier.explanations[flags[0].key] = "Đã có xác nhận của cơ quan."
    path = tmp_path / "b.json"
    path.write_text(dossier.to_json(), encoding="utf-8")
    result = bot("check", str(path), "--json")
    report = json.loads(result.stdout)
    match = [f for f in report["flags"] if f["key"] == flags[0].key]
    assert match and match[0]["explanation"] == "Đã có xác nhận của cơ quan."


def _broken_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    files = {
        "not_json": ("{ answers: ", "không phải JSON hợp lệ (dòng 1"),
        "not_utf8": (b"\xff\xfe\x00{", "không phải văn bản UTF-8"),
        "wrong_type": ('{"answers": {"ho_ten": 12}}', "answers.ho_ten: phải là một chuỗi chữ"),
        "extra_key": ('{"answer": {}}', "answer: khóa không có trong định dạng hồ sơ"),
        "a_list": ("[1, 2]", "phải là một đối tượng JSON"),
        "version": ('{"form_version": "HD99"}', "phiên bản mẫu «HD99»"),
        "bad_date": ('{"meta": {"chi_bo_meeting": "17/03/2026"}}', "meta.chi_bo_meeting"),
    }
    out = {}
    for name, (content, expected) in files.items():
        path = tmp_path / f"{name}.json"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        out[name] = (path, expected)
    out["missing"] = (tmp_path / "nope.json", "Không tìm thấy tệp")
    out["directory"] = (tmp_path, "Không đọc được tệp")
    return out


def test_unusable_files_exit_2_with_a_vietnamese_message(tmp_path, capsys) -> None:
    for name, (path, expected) in _broken_files(tmp_path).items():
        for verb in ("check", "render"):
            assert cli.main([verb, str(path)]) == 2, (verb, name)
            err = capsys.readouterr().err
            assert err.startswith("Lỗi: "), (verb, name, err)
            assert expected in err, (verb, name, err)


def test_unusable_file_in_a_subprocess_has_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{", encoding="utf-8")
    result = bot("check", str(path))
    assert result.returncode == 2
    assert "không phải JSON hợp lệ" in result.stderr
    assert "Traceback" not in result.stderr
    bad_today = bot("check", SAMPLE_A, "--today", "17/03/2026")
    assert bad_today.returncode == 2
    assert "YYYY-MM-DD" in bad_today.stderr and "Traceback" not in bad_today.stderr


def test_render_writes_a_draft_and_a_final_docx(tmp_path: Path) -> None:
    draft_path, final_path = tmp_path / "c.docx", tmp_path / "c_final.docx"
    result = bot("render", SAMPLE_C, "-o", str(draft_path))
    assert result.returncode == 0, result.stderr
    assert str(draft_path) in result.stdout
    final = bot("render", SAMPLE_C, "-o", str(final_path), "--final")
    assert final.returncode == 0, final.stderr
    assert "5 lỗi" in final.stderr  # rendering a final copy with errors left says so

    draft_doc = Document(io.BytesIO(draft_path.read_bytes()))
    header = draft_doc.sections[0].header.paragraphs[0].text
    assert header == "BẢN NHÁP"
    body = "\n".join(p.text for p in draft_doc.paragraphs)
    assert "NHỮNG ĐIỂM CẦN XEM LẠI" in body
    flag_rules = [row.cells[0].text for row in draft_doc.tables[-1].rows[1:]]
    assert len(flag_rules) >= 5

    final_doc = Document(io.BytesIO(final_path.read_bytes()))
    assert "BẢN NHÁP" not in final_doc.sections[0].header.paragraphs[0].text
    assert "NHỮNG ĐIỂM CẦN XEM LẠI" not in "\n".join(p.text for p in final_doc.paragraphs)
    assert load_sample("c").value("ho_ten") in "\n".join(p.text for p in final_doc.paragraphs)


def test_render_default_output_next_to_the_file(tmp_path: Path, capsys) -> None:
    source = tmp_path / "hồ sơ.json"
    source.write_bytes(Path(SAMPLE_A).read_bytes())
    assert cli.main(["render", str(source)]) == 0
    assert (tmp_path / "hồ sơ.docx").stat().st_size > 10_000
    unwritable = tmp_path / "no_dir" / "x.docx"
    assert cli.main(["render", str(source), "-o", str(unwritable)]) == 2
    assert "Không ghi được tệp" in capsys.readouterr().err


def test_schema_verb_prints_the_schema() -> None:
    result = bot("schema")
    assert result.returncode == 0
    assert json.loads(result.stdout) == dossier_json_schema()


def test_adding_a_verb_is_one_function(monkeypatch, capsys) -> None:
    monkeypatch.setattr(cli, "VERBS", dict(cli.VERBS))
    seen: list[argparse.Namespace] = []

    def arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--name", default="ai đó")

    @cli.verb("greet", "cli.help.schema", arguments=arguments)
    def greet(args: argparse.Namespace) -> int:
        seen.append(args)
        return 7

    assert cli.main(["greet", "--name", "Khoa"]) == 7
    assert seen[-1].name == "Khoa"
    with pytest.raises(ValueError):
        cli.verb("greet", "cli.help.schema")(greet)


def test_no_verb_runs_run_when_registered_else_prints_help(monkeypatch, capsys) -> None:
    verbs = {k: v for k, v in cli.VERBS.items() if k != "run"}
    monkeypatch.setattr(cli, "VERBS", verbs)
    assert cli.main([]) == 2
    assert "check" in capsys.readouterr().out
    calls: list[str] = []
    verbs["run"] = cli.Verb("run", "cli.help.check", lambda args: calls.append(args.verb) or 0)
    assert cli.main([]) == 0
    assert calls == ["run"]
