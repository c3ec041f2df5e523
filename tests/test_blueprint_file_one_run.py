"""Blueprint files: every problem in one run, YAML syntax errors in plain words with
line and column, and permission sets that take everything the Python API takes."""

from __future__ import annotations

import textwrap

import pytest

from secureml.blueprint_file import BlueprintFileError, loads

NINE_MISTAKES = """
blueprint: bad
region: us-east-9
personas:
  - name: ds
    kind: DataScientst
    buckets: [team-data]
    pass_roles: [nobody]
    colour: red
    add_activities: [Manage Endpoint]
    permission_set: {session_duration: PT20H}
  - name: c
    kind: Compute
    buckets: [ok-data]
    role: {pathh: /}
assignments:
  - {group: G, permission_set: nope, accounts: ["12345"]}
audit_trail: {name: t, bucket: BAD}
"""


def _problems(text: str) -> list[tuple[str, int | None]]:
    with pytest.raises(BlueprintFileError) as caught:
        loads(textwrap.dedent(text), source="bp.yaml")
    return [(i.path, i.line) for i in caught.value.issues]


def test_every_mistake_of_a_file_is_reported_in_one_run() -> None:
    # Shape mistakes (a misspelt kind, an unknown activity, a bad account id) used to
    # hide the meaning mistakes (region, references, durations, names) until fixed.
    assert _problems(NINE_MISTAKES) == [
        ("region", 3),
        ("personas[0].kind", 6),
        ("personas[0].pass_roles[0]", 8),
        ("personas[0].colour", 9),
        ("personas[0].add_activities[0]", 10),
        ("personas[0].permission_set.session_duration", 11),
        ("personas[1].role.pathh", 15),
        ("assignments[0].permission_set", 17),
        ("assignments[0].accounts[0]", 17),
        ("audit_trail.name", 18),  # the field itself (a Problem path since issue 10)
        ("audit_trail.bucket", 18),
    ]


def test_a_misspelt_kind_is_checked_as_the_closest_kind() -> None:
    paths = _problems("""
        personas:
          - {name: ds, kind: DataScientst, buckets: [Bad_Bucket], pass_roles: [c]}
          - {name: c, kind: Compute, buckets: [c-data], role: {}}
    """)
    assert paths == [("personas[0].kind", 3), ("personas[0].buckets[0]", 3)]


def test_what_only_follows_from_a_mistake_is_not_reported_twice() -> None:
    # The account id is refused: "the assignment needs accounts" would follow from it.
    paths = _problems("""
        personas:
          - {name: ds, kind: DataScientist, buckets: [d-data],
             pass_roles: ["arn:aws:iam::111122223333:role/c"], permission_set: {}}
        assignments:
          - {group: G, permission_set: ds, accounts: ["12345"]}
    """)
    assert paths == [("assignments[0].accounts[0]", 6)]


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("personas:\n  - name: ds\n    kind: DataScientist\n     buckets: [x]\n", (4, 13),
         "a 'key: value' where none can be: this line is probably indented more"),
        ("personas:\n  - name: ds\n    kind: DataScientist\n  buckets: [x]\n", (4, 3),
         "this line is indented differently from the lines above it"),
        ("personas:\n  - {name: ds, kind: DataScientist\n", (3, 1),
         "a {mapping} is not closed with '}'"),
        ("personas:\n\t- name: ds\n", (2, 1), "a tab character: indent with spaces only"),
    ],
)
def test_yaml_syntax_errors_in_plain_words_with_line_and_column(
    text: str, where: tuple[int, int], words: str
) -> None:
    with pytest.raises(BlueprintFileError) as caught:
        loads(text, source="bp.yaml")
    [issue] = caught.value.issues
    assert (issue.line, issue.column) == where
    assert issue.message.startswith(f"YAML syntax error: {words}")
    assert "(YAML: " in issue.message  # PyYAML's own words stay, for a search


def test_a_permission_set_takes_what_the_python_api_takes() -> None:
    bf = loads(textwrap.dedent("""
        personas:
          - name: ds
            kind: DataScientist
            buckets: [d-data]
            pass_roles: ["arn:aws:iam::111122223333:role/c"]
            permission_set:
              session_duration: PT8H
              managed_policies: ["arn:aws:iam::aws:policy/AmazonSageMakerCanvasFullAccess"]
              customer_managed_policies: [ml/extra]
              permissions_boundary: "arn:aws:iam::111122223333:policy/boundary"
              tags: {team: a}
              relay_state: "https://console.aws.amazon.com/sagemaker/"
    """))
    [ps] = bf.resources

    assert ps.managed_policies == ("arn:aws:iam::aws:policy/AmazonSageMakerCanvasFullAccess",)
    assert ps.customer_managed_policies == ("ml/extra",)
    assert ps.permissions_boundary == "arn:aws:iam::111122223333:policy/boundary"
    assert dict(ps.tags) == {"team": "a"}
    assert ps.relay_state == "https://console.aws.amazon.com/sagemaker/"
    assert ps.session_duration == "PT8H"
