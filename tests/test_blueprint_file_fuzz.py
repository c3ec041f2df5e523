"""Blueprint files from anyone: random documents, alias bombs, deep nesting, binary
and UTF-16 files, non-text keys. Each is loaded or refused with a
:class:`BlueprintFileError` whose problems name the file (and line and column
where there is one), never a Python traceback or Python's internals; the bounds
are proved by what the loader refuses before it expands anything, not by timing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secureml.blueprint_file import MAX_FILE_CHARS, BlueprintFileError, _yaml, load, loads
from secureml.cli import main

_INTERNALS = ("Traceback", "object is not", "NoneType", "'int' object", "<class ", "Error:")


def _refused(text: str) -> BlueprintFileError:
    with pytest.raises(BlueprintFileError) as info:
        loads(text, source="bp.yaml")
    _assert_plain(info.value)
    return info.value


def _assert_plain(exc: BlueprintFileError) -> None:
    assert exc.issues
    for issue in exc.issues:
        assert issue.file == "bp.yaml" or issue.file.endswith(".yaml")
        assert not any(word in issue.message for word in _INTERNALS), issue.message


def _bomb(levels: int, width: int = 9) -> str:
    lines = [f"a0: &a0 [{', '.join(['x'] * width)}]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_before_it_is_expanded() -> None:
    text = _bomb(8)  # 9**9 (387 million) values in about 560 bytes
    assert len(text.encode()) < 600
    with mock.patch.object(_yaml, "_walk", wraps=_yaml._walk) as walk:
        issue = _refused(text).issues[0]
    assert walk.call_count == 0  # refused before any value was walked or constructed
    assert "aliases" in issue.message
    assert f"{_yaml.MAX_NODES:,}" in issue.message
    assert (issue.line, issue.column) == (1, 1)


def test_aliases_within_the_bound_still_load() -> None:
    bf = loads(
        "settings: &s {}\n"
        "personas:\n"
        "  - {name: c, kind: Compute, buckets: &b [b-data], role: {}}\n"
        "  - {name: d, kind: DataScientist, buckets: *b, pass_roles: [c]}\n"
    )
    assert bf.personas["d"].buckets == ("b-data",)


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 3000 + "]" * 3000 + "\n",
        "a: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n",
        "".join(" " * i + f"k{i}:\n" for i in range(200)) + " " * 200 + "x\n",
        "a: " + "[" * 900_000,  # unterminated: refused at the bound, not read to the end
    ],
    ids=["flow-list", "flow-map", "block", "unterminated"],
)
def test_deep_nesting_is_refused_at_the_bound(text: str) -> None:
    issue = _refused(text).issues[0]
    assert f"more than {_yaml.MAX_DEPTH} levels" in issue.message
    assert issue.line is not None


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("1: x\n", 1, 1, "key '1' is a number"),
        ("null: 1\n", 1, 1, "key 'null' is null"),
        ("personas:\n  - {name: c, true: 1}\n", 2, 15, "key 'true' is a boolean"),
        ("? [a]\n: x\n", 1, 3, "a key is a list or a mapping"),
        ("personas: []\n2024-01-01: x\n", 2, 1, "key '2024-01-01' is a date"),
    ],
)
def test_keys_that_are_not_text_are_clear_errors(
    text: str, line: int, column: int, words: str
) -> None:
    issue = _refused(text).issues[0]
    assert (issue.line, issue.column) == (line, column)
    assert words in issue.message
    assert "keys are text" in issue.message


@pytest.mark.parametrize(
    ("data", "line", "words"),
    [
        (b"\x00\x01\x02binary", 1, "is not allowed in YAML"),
        ("personas: []\n".encode("utf-16"), 1, "UTF-16"),
        (b"personas:\n  - name: caf\xe9\n", 2, "is not UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", 1, "is not UTF-8"),
    ],
)
def test_files_that_are_not_utf8_text_are_clear_errors(
    tmp_path: Path, data: bytes, line: int, words: str
) -> None:
    path = tmp_path / "bp.yaml"
    path.write_bytes(data)
    with pytest.raises(BlueprintFileError) as info:
        load(path)
    _assert_plain(info.value)
    issue = info.value.issues[0]
    assert issue.line == line
    assert words in issue.message
    assert str(issue).startswith(f"{path}:{line}:")


def test_a_file_over_the_size_bound_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "bp.yaml"
    path.write_text("# " + "x" * (MAX_FILE_CHARS * 4) + "\n")
    with (
        mock.patch("secureml.blueprint_file.parse") as parse,
        pytest.raises(BlueprintFileError) as info,
    ):
        load(path)
    assert parse.call_count == 0
    assert "larger than a blueprint file may be" in info.value.issues[0].message
    with pytest.raises(BlueprintFileError, match="at most"):
        loads("#" * (MAX_FILE_CHARS + 1))


def test_loads_takes_text_only() -> None:
    with pytest.raises(BlueprintFileError, match="expected the file's text"):
        loads(b"personas: []")  # type: ignore[arg-type]


def test_lint_refuses_an_alias_bomb_in_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(_bomb(8))
    assert main(["lint", str(path)]) != 0
    err = capsys.readouterr().err
    assert f"{path}:1:1:" in err
    assert "aliases" in err
    assert "Traceback" not in err


# -- random documents ------------------------------------------------------------------------

_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20),
    st.sampled_from(["DataScientist", "Compute", "MLOps", "team-a-data", "us-east-1", "*",
                     "111122223333", "Manage ML Jobs", "PT8H", "arn:aws:iam::aws:policy/x"]),
)
_keys = st.one_of(
    st.sampled_from(["personas", "name", "kind", "buckets", "role", "pass_roles", "settings",
                     "network", "encryption", "assignments", "audit_trail", "region",
                     "public_access_block", "add_activities", "activity", "permission_set",
                     "blueprint", "guardrails", "tags"]),
    st.text(max_size=8),
)
_documents = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=5)
    ),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=_documents)
def test_random_documents_load_or_are_refused_plainly(document: Any) -> None:
    text = yaml.safe_dump(document, allow_unicode=True)
    try:
        loads(text, source="bp.yaml")
    except BlueprintFileError as exc:
        _assert_plain(exc)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(st.text(max_size=300), st.binary(max_size=300).map(
    lambda b: b.decode("latin-1"))))
def test_random_text_loads_or_is_refused_plainly(text: str) -> None:
    try:
        loads(text, source="bp.yaml")
    except BlueprintFileError as exc:
        _assert_plain(exc)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=400))
def test_random_bytes_load_or_are_refused_plainly(data: bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "bp.yaml")
        path.write_bytes(data)
        try:
            load(path)
        except BlueprintFileError as exc:
            _assert_plain(exc)
