"""The stack-config emulation (`tools/stack/config.py`) against the Pulumi CLI's own rules.

Every rule names the source it mirrors, read in pulumi/pulumi (commit 1b59498, Aug 2026) and in
gopkg.in/yaml.v3 v3.0.1 (the YAML library of pulumi's `sdk/go/common/encoding/marshal.go`).
The last tests run every stack of the repo, and a stack made by the README's "Adding a stack"
recipe, through these rules.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config import PlanSettings, SelectionTag, parse_plan, parse_selection_tag
from tools.preview.__main__ import main
from tools.preview.run import PreviewError, preview
from tools.stack.config import (
    encode_config,
    go_json,
    load_stack_config,
    read_stack_config,
    resolve_secrets,
)
from tools.stack.errors import ConfigValidationError, OfflineError, SecretNotDecrypted
from tools.stack.paths import coerce_path_value, parse_override, parse_property_path
from tools.stack.policy_config import PolicyConfigError, policy_config
from tools.stack.project import (
    list_stacks,
    load_project,
    project_declarations,
    validate_config_value,
)
from tools.stack.secrets import SECRET_EMAIL_PLACEHOLDER, SECRET_PLACEHOLDER
from tools.stack.yaml_v3 import parse_yaml

REPO = Path(__file__).resolve().parents[2]
NS = "cross-account-backup"

PROJECT = """\
name: proj
runtime: python
config:
  pulumi:disable-default-providers:
    value: [aws]
  proj:account:
    type: object
  proj:limits:
    type: object
    default: {days: 7}
  proj:count:
    type: integer
    default: 3
"""
ACCOUNT = "  proj:account:\n    id: '111111111111'\n"


def make(tmp_path: Path, stack_text: str, project_text: str = PROJECT) -> Path:
    (tmp_path / "Pulumi.yaml").write_text(project_text)
    (tmp_path / "Pulumi.s.yaml").write_text(stack_text)
    return tmp_path


def read(tmp_path: Path, stack_text: str, project_text: str = PROJECT, **kw: Any) -> Any:
    return read_stack_config("s", make(tmp_path, stack_text, project_text), **kw)


# -- YAML as the CLI reads it: gopkg.in/yaml.v3 resolve.go `resolve` -------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Yes", "Yes"),  # YAML 1.2 booleans only: true/True/TRUE/false/False/FALSE
        ("on", "on"),
        ("TRUE", True),
        ("012345670123", 1402433619),  # strconv.ParseInt(s, 0, 64): a leading 0 is octal
        ("012345678901", 12345678901.0),  # not octal, so `yamlStyleFloat` makes it a float
        ("0x1F", 31),
        ("0o17", 15),
        ("1_000", 1000),  # underscores are removed before parsing
        ('"012345678901"', "012345678901"),
        ("~", None),
        ("", None),
        (".5", 0.5),
        ("1e3", 1000.0),
        ("2026-01-02", "2026-01-02 00:00:00 +0000 UTC"),  # time.Time, then object.go .String()
        ("2026-01-02T10:00:00Z", "2026-01-02 10:00:00 +0000 UTC"),
        ("2026-01-02T10:00:00", "2026-01-02T10:00:00"),  # "...Z07:00": no zone, no timestamp
        ("1:30", "1:30"),  # YAML 1.1's base 60 is gone
    ],
)
def test_plain_scalars_resolve_as_yaml_v3_resolves_them(text: str, value: Any) -> None:
    assert parse_yaml(f"k: {text}\n", "t") == {"k": value}


def test_pyyaml_alone_would_read_account_ids_and_yes_differently() -> None:
    # PyYAML implements YAML 1.1 (its int resolver wants 0[0-7_]+ for octal, its bool resolver
    # takes yes/no/on/off): why the loader can't be yaml.safe_load.
    assert yaml.safe_load("k: 012345678901") == {"k": "012345678901"}
    assert parse_yaml("k: 012345678901", "t") == {"k": 12345678901.0}
    assert yaml.safe_load("k: Yes") == {"k": True}
    assert parse_yaml("k: Yes", "t") == {"k": "Yes"}


def test_a_key_twice_in_a_mapping_is_an_error() -> None:
    # yaml.v3 decode.go `mapping`: "mapping key %#v already defined at line %d".
    with pytest.raises(OfflineError) as e:
        parse_yaml("config:\n  a: 1\n  a: 2\n", "Pulumi.s.yaml")
    assert 'line 3: mapping key "a" already defined at line 2' in str(e.value)


# -- Pulumi.yaml: project.json, RewriteShorthandConfigValues, Project.Validate ------------------


def test_a_null_default_makes_the_key_required(tmp_path: Path) -> None:
    # pkg/workspace/config.go `mergeConfig`: hasDefault := projectConfigType.Default != nil.
    project = PROJECT + "  proj:email:\n    type: string\n    default: null\n"
    with pytest.raises(ConfigValidationError) as e:
        read(tmp_path, f"config:\n{ACCOUNT}", project)
    assert str(e.value) == (
        "validating stack config: Stack 's' is missing configuration value 'proj:email'"
    )


def test_missing_keys_are_listed_like_the_cli(tmp_path: Path) -> None:
    # config.go `formatMissingKeys` / `missingStackConfigurationKeysError`.
    project = PROJECT + "  proj:b:\n    type: string\n  c:\n    description: no default\n"
    with pytest.raises(ConfigValidationError) as e:
        read(tmp_path, "config: {}\n", project)
    assert str(e.value) == (
        "validating stack config: Stack 's' is missing configuration values "
        "'c', 'proj:account' and 'proj:b'"
    )


def test_validation_skipped_still_applies_defaults(tmp_path: Path) -> None:
    # config.go `ApplyProjectConfig` (--skip-config-validation).
    loaded = read(tmp_path, "config: {}\n", validate=False)
    assert loaded.config == {
        "pulumi:disable-default-providers": ["aws"],
        "proj:limits": {"days": 7},
        "proj:count": "3",  # createConfigValue: a primitive default becomes its text
    }


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "proj:x:\n    default: 1\n    value: 2",
            "project config 'proj:x' cannot have both a 'default' and 'value' attribute",
        ),
        (
            "aws:region:\n    default: eu-west-1",
            "Configuration key 'aws:region' is not namespaced by the project and should not "
            "define a default value. Did you mean to use the 'value' attribute instead of "
            "'default'?",
        ),
        (
            "aws:region:\n    type: string\n    value: eu-west-1",
            "Configuration key 'aws:region' is not namespaced by the project and should not "
            "define a type",
        ),
        (
            "proj:x:\n    type: array",
            "The configuration key 'proj:x' declares an array but does not specify the "
            "underlying type via the 'items' attribute",
        ),
        (
            "proj:x:\n    type: integer\n    default: many",
            "The default value specified for configuration key 'proj:x' is not of the expected "
            "type 'integer'",
        ),
        ("proj:x:\n    type: map", "config.proj:x.type: 'map' is not one of"),  # project.json
        ("proj:x:\n    required: true", "additional properties ['required'] not allowed"),
    ],
)
def test_project_declarations_are_validated_like_project_validate(entry: str, message: str) -> None:
    # sdk/go/common/workspace/project.go `Project.Validate`, project.json `configTypeDeclaration`.
    project = load_project_text(PROJECT + f"  {entry}\n")
    with pytest.raises(OfflineError) as e:
        project_declarations(project)
    assert message in str(e.value)


def load_project_text(text: str) -> dict[str, Any]:
    return parse_yaml(text, "Pulumi.yaml")


def test_object_is_a_declarable_type_since_cli_3_187() -> None:
    # project.json `simpleConfigType` gained "object" in pulumi/pulumi#20129 (v3.186.0) and
    # ValidateConfigValue checks it since #20132 (v3.187.0).
    decls = project_declarations(load_project_text(PROJECT))
    assert decls["proj:account"].type == "object" and decls["proj:account"].required
    assert "3.187.0 or newer" in (REPO / "README.md").read_text()
    assert decls["proj:limits"].default == {"days": 7} and not decls["proj:limits"].required


def test_shorthand_values_are_a_default_for_the_project_and_a_value_elsewhere() -> None:
    # project.go `RewriteShorthandConfigValues`.
    decls = project_declarations(load_project_text("name: proj\nconfig:\n  a: 1\n  aws:b: x\n"))
    assert (decls["a"].default, decls["a"].value) == (1, None)
    assert (decls["aws:b"].default, decls["aws:b"].value) == (None, "x")


# -- Pulumi.<stack>.yaml: loaders.go, key.go, map.go, object.go ----------------------------------


def test_keys_without_namespace_belong_to_the_project(tmp_path: Path) -> None:
    # loaders.go `stackConfigNamespacedWithProject`.
    loaded = read(tmp_path, "config:\n  account: {id: '1'}\n  aws:region: eu-west-1\n")
    assert loaded.config["proj:account"] == {"id": "1"}
    assert loaded.config["aws:region"] == "eu-west-1"


def test_keys_are_parsed_like_config_parse_key(tmp_path: Path) -> None:
    # sdk/go/common/resource/config/key.go `ParseKey`: the old "<ns>:config:<name>" form works.
    assert read(tmp_path, "config:\n  proj:config:account: {id: '1'}\n").config["proj:account"] == {
        "id": "1"
    }
    with pytest.raises(OfflineError) as e:
        read(tmp_path, f"config:\n{ACCOUNT}  a:b:c: 1\n")
    assert "could not parse a:b:c as a configuration key" in str(e.value)


def test_a_key_with_no_value_is_the_empty_string_and_the_default_does_not_apply(
    tmp_path: Path,
) -> None:
    # loaders.go `checkForEmptyConfig` (the CLI's warning); yaml.v3 `prepare` skips the
    # unmarshaler for a null node, so the `config.Value` stays "" and counts as set.
    loaded = read(tmp_path, f"config:\n{ACCOUNT}  proj:count:\n", validate=False)
    assert loaded.config["proj:count"] == ""
    assert loaded.warnings == [
        'No value for configuration key "proj:count". This is currently treated as an empty '
        'string `""`, but will be treated as `null` in a future version of pulumi.'
    ]


def test_a_null_object_key_fails_the_type_check(tmp_path: Path) -> None:
    # config.go `validateStackConfigValue`: "" is no map.
    with pytest.raises(ConfigValidationError) as e:
        read(tmp_path, f"config:\n{ACCOUNT}  proj:limits: null\n")
    assert str(e.value).startswith(
        "validating stack config: Stack 's' with configuration key 'proj:limits' must be of "
        "type 'object'"
    )


def test_top_level_scalars_reach_the_program_as_text(tmp_path: Path) -> None:
    # object.go `MarshalString`: numbers and booleans as JSON text; objects as JSON.
    loaded = read(tmp_path, f"config:\n{ACCOUNT}  proj:count: 2.0\n  proj:on: true\n")
    assert loaded.config["proj:count"] == "2" and loaded.config["proj:on"] == "true"
    assert encode_config(loaded.config)["proj:account"] == '{"id":"111111111111"}'


@pytest.mark.parametrize(
    ("typ", "items", "good", "bad"),
    [
        ("string", None, ["x", ""], [1, {"a": 1}]),
        ("integer", None, [3, "3", 3.0, "-2"], ["3.5", "x", True, 3.5]),
        ("boolean", None, [True, "true", "false"], ["yes", "True", 1]),
        ("object", None, [{}, {"a": 1}], ["{}", [1], ""]),
        ("array", {"type": "integer"}, [[1, "2"], []], [["x"], "[1]", {"a": 1}]),
    ],
)
def test_declared_types_are_checked_like_validate_config_value(
    typ: str, items: dict[str, Any] | None, good: list[Any], bad: list[Any]
) -> None:
    # sdk/go/common/workspace/project.go `ValidateConfigValue`.
    assert all(validate_config_value(typ, items, v) for v in good)
    assert not any(validate_config_value(typ, items, v) for v in bad)


def test_a_scalar_for_an_object_key_names_the_key_and_type(tmp_path: Path) -> None:
    with pytest.raises(ConfigValidationError) as e:
        read(tmp_path, "config:\n  proj:account: 111111111111\n")
    assert str(e.value) == (
        "validating stack config: Stack 's' with configuration key 'proj:account' must be of "
        "type 'object'"
    )


# -- secrets: object.go `isSecureValue`, config.go `validateStackConfigValue` ---------------------


def test_secrets_top_level_and_nested_get_placeholders(tmp_path: Path) -> None:
    loaded = read(
        tmp_path,
        "config:\n  proj:account:\n    id: '1'\n    externalId:\n      secure: v1:AAAB\n"
        "  proj:email:\n    secure: v1:CCCD\n",
    )
    assert loaded.config["proj:account"] == {"id": "1", "externalId": SECRET_PLACEHOLDER}
    assert loaded.config["proj:email"] == SECRET_EMAIL_PLACEHOLDER
    assert loaded.secrets == ["proj:account.externalId", "proj:email"]
    assert loaded.secret_keys == ["proj:account", "proj:email"]


def test_a_declared_secret_in_plaintext_is_refused(tmp_path: Path) -> None:
    project = PROJECT + "  proj:token:\n    type: string\n    secret: true\n"
    with pytest.raises(ConfigValidationError) as e:
        read(tmp_path, f"config:\n{ACCOUNT}  proj:token: plain\n", project)
    assert str(e.value) == (
        "validating stack config: Stack 's' with configuration key 'proj:token' must be "
        "encrypted as it's secret"
    )
    ok = read(tmp_path, f"config:\n{ACCOUNT}  proj:token:\n    secure: v1:x\n", project)
    assert ok.config["proj:token"] == SECRET_PLACEHOLDER


def test_a_whole_object_set_as_one_secret_is_no_object(tmp_path: Path) -> None:
    # `pulumi config set --secret account '{...}'` stores an encrypted string: not a map.
    with pytest.raises(ConfigValidationError) as e:
        read(tmp_path, "config:\n  proj:account:\n    secure: v1:AAAB\n")
    assert "must be of type 'object'" in str(e.value)
    assert "pulumi config set --secret --path 'account.<field>'" in str(e.value)


# -- -c: `pulumi config set --path` (config.Map.Set, resource.ParsePropertyPathStrict) ------------


@pytest.mark.parametrize(
    ("path", "elements"),
    [
        ("root", ["root"]),
        ("root.nested.deep", ["root", "nested", "deep"]),
        ('root["key.with.dots"]', ["root", "key.with.dots"]),
        ('root["with \\"quotes\\""]', ["root", 'with "quotes"']),
        ("root.array[0].field", ["root", "array", 0, "field"]),
        ("foo-bar", ["foo-bar"]),  # any run of characters up to . or [ is a name
    ],
)
def test_paths_parse_like_parse_property_path_strict(path: str, elements: list[Any]) -> None:
    # sdk/go/common/resource/properties_path.go `parsePropertyPath(path, strict=true)`.
    assert parse_property_path(path) == elements


@pytest.mark.parametrize("path", ["root.", ".root", "root.[0]", "root[x]", 'root["open'])
def test_malformed_paths_are_refused(path: str) -> None:
    with pytest.raises(OfflineError):
        parse_property_path(path)


@pytest.mark.parametrize(
    ("text", "value"),
    [("60", 60), ("true", True), ("012", "012"), ("1.5", "1.5"), ("abc", "abc"), ("", "")],
)
def test_path_values_are_typed_like_config_set_path(text: str, value: Any) -> None:
    # sdk/go/common/resource/config/object.go `coerce`.
    assert coerce_path_value(text) == value


def test_a_path_override_merges_into_the_stacks_value() -> None:
    key, value = parse_override("backupPlan.retentionDays=60")
    config = read_stack_config("prod", REPO, {key: value}).config
    prod = read_stack_config("prod", REPO).config
    assert config[f"{NS}:backupPlan"] == {**prod[f"{NS}:backupPlan"], "retentionDays": 60}


def test_a_whole_key_override_replaces_the_whole_value() -> None:
    overrides = dict([parse_override("backupPlan={retentionDays: 60}")])
    config = read_stack_config("prod", REPO, overrides).config
    assert config[f"{NS}:backupPlan"] == {"retentionDays": 60}


def test_an_override_to_null_unsets_the_key_and_lets_the_default_apply() -> None:
    overrides = dict([parse_override("backupPlan=null"), parse_override("vaultLock=null")])
    config = read_stack_config("prod", REPO, overrides).config
    assert config[f"{NS}:backupPlan"] == load_project(REPO)["config"][f"{NS}:backupPlan"]["default"]
    assert f"{NS}:vaultLock" not in config


def test_a_path_through_a_scalar_is_refused(tmp_path: Path) -> None:
    # object.go `Set`: "%v: expected a map".
    with pytest.raises(OfflineError) as e:
        read(tmp_path, "config:\n  proj:account: {id: '1'}\n", overrides={"account.id.x": "y"})
    assert "proj:account.id: expected a map" in str(e.value)


def test_an_override_is_applied_before_any_refusal(tmp_path: Path) -> None:
    text = "config:\n  proj:account:\n    id: 012345670123\n  proj:limits: null\n"
    with pytest.raises(OfflineError):
        read(tmp_path, text)
    fixed = read(tmp_path, text, overrides={"account.id": "012345670123", "limits": {"days": 1}})
    assert fixed.config["proj:account"] == {"id": "012345670123"}


# -- our two refusals: a near-miss namespace, a number with a leading zero ----------------------


def test_a_near_miss_namespace_is_refused_naming_the_right_key(tmp_path: Path) -> None:
    # The CLI passes keys of other namespaces on (config.go checks only the project's keys), so
    # `cross-acount-backup:vaultLock` would silently drop prod's lock.
    text = (
        (REPO / "Pulumi.prod.yaml")
        .read_text()
        .replace(f"{NS}:vaultLock", "cross-acount-backup:vaultLock")
    )
    shutil.copy(REPO / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "Pulumi.prod.yaml").write_text(text)
    with pytest.raises(OfflineError) as e:
        read_stack_config("prod", tmp_path)
    assert str(e.value) == (
        "Pulumi.prod.yaml: cross-acount-backup:vaultLock is in the namespace "
        "'cross-acount-backup', not this project's 'cross-account-backup': the Pulumi CLI passes "
        "it on and the program never reads it, so the setting is silently lost. Did you mean "
        "cross-account-backup:vaultLock?"
    )


def test_other_namespaces_pass(tmp_path: Path) -> None:
    loaded = read(tmp_path, f"config:\n{ACCOUNT}  aws:region: eu-west-1\n  prod:x: y\n")
    assert loaded.config["aws:region"] == "eu-west-1" and loaded.config["prod:x"] == "y"


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("012345670123", "the octal number 1402433619"),
        ("012345678901", "the number 12345678901 (the leading zero dropped)"),
    ],
)
def test_an_unquoted_id_with_a_leading_zero_says_quote_it(
    tmp_path: Path, text: str, reading: str
) -> None:
    with pytest.raises(OfflineError) as e:
        read(tmp_path, f"config:\n  proj:account:\n    id: {text}\n")
    assert str(e.value) == (
        f"Pulumi.s.yaml: proj:account.id = {text} is unquoted: YAML as the Pulumi CLI reads it "
        f"(gopkg.in/yaml.v3, YAML 1.2 with 1.1 octals) makes a plain number with a leading zero "
        f'{reading}, not the text {text}. Quote it: id: "{text}"'
    )


def test_go_json_writes_numbers_as_go_does() -> None:
    # encoding/json float64: 'f' format within [1e-6, 1e21), shortest digits; <>& escaped.
    assert go_json({"b": 12345678901.0, "a": [1.5, 1e-7, 2.0], "c": "<&>"}) == (
        '{"a":[1.5,1e-7,2],"b":12345678901,"c":"\\u003c\\u0026\\u003e"}'
    )


# -- this repository -----------------------------------------------------------------------------


def test_pulumi_yaml_requires_only_the_backup_account() -> None:
    # pulumi/pulumi pkg/workspace/config.go: a declared key without a default is required. The
    # workload accounts come in one of two keys (sourceAccount or sourceAccounts, issue 12), so
    # neither is declared: a stack with only sourceAccounts must pass the CLI's check, and the
    # program refuses a stack with neither (tests/program/test_sources.py).
    decls = project_declarations(load_project(REPO))
    required = sorted(k for k, d in decls.items() if d.required and k.startswith(f"{NS}:"))
    assert required == [f"{NS}:backupAccount"]
    assert all(decls[k].type == "object" for k in required)
    assert f"{NS}:sourceAccount" not in decls and f"{NS}:sourceAccounts" not in decls


def test_pulumi_yaml_defaults_are_the_programs_defaults() -> None:
    decls = project_declarations(load_project(REPO))
    assert parse_plan(decls[f"{NS}:backupPlan"].default) == PlanSettings()
    assert parse_selection_tag(decls[f"{NS}:selectionTag"].default) == SelectionTag()


def test_undeclared_optional_keys_are_documented() -> None:
    decls = project_declarations(load_project(REPO))
    readme = (REPO / "README.md").read_text()
    pulumi_yaml = (REPO / "Pulumi.yaml").read_text()
    for key in ("managementAccount", "vaultLock", "notificationEmail", "organization"):
        assert f"{NS}:{key}" not in decls
        assert f"| `{key}` | no |" in readme
        assert f"#   {NS}:{key}" in pulumi_yaml
    for key in ("sourceAccount", "sourceAccounts"):
        assert f"{NS}:{key}" not in decls
        assert f"| `{key}` | one of the two |" in readme
        assert f"#   {NS}:{key}" in pulumi_yaml


@pytest.mark.parametrize("stack", list_stacks(REPO))
def test_every_stack_of_the_repo_passes_the_clis_rules(stack: str) -> None:
    loaded = read_stack_config(stack, REPO)
    assert loaded.warnings == []
    assert f"{NS}:backupAccount" in loaded.config
    # One of the two forms of the workload accounts, never both (issue 12).
    assert len({f"{NS}:sourceAccount", f"{NS}:sourceAccounts"} & set(loaded.config)) == 1
    assert policy_config(stack)["backup-vault-policy-grants-source"]["sourceAccountIds"]


def test_a_stack_made_by_the_readmes_recipe_passes_the_clis_rules(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split("### Adding a stack", 1)[1]
    recipe = re.search(r"```bash\n(.*?)```", section, re.S)
    assert recipe is not None
    copy = re.search(r"^cp (Pulumi\.\w+\.yaml) (Pulumi\.(\w+)\.yaml)", recipe.group(1), re.M)
    assert copy is not None, recipe.group(1)
    shutil.copy(REPO / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copy(REPO / copy.group(1), tmp_path / copy.group(2))
    loaded = read_stack_config(copy.group(3), tmp_path)
    assert loaded.warnings == [] and loaded.secrets == []
    assert policy_config(copy.group(3), tmp_path)["backup-vault-locked"]


# -- the preview with secrets (issue 10, item 6) ------------------------------------------------


def test_the_preview_runs_with_secrets_and_shows_them_as_secret(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import tools.preview.run as preview_module

    secrets = {
        "sourceAccount.externalId": {"secure": "v1:AAAB"},
        "notificationEmail": {"secure": "v1:C"},
    }
    real = preview_module.preview
    monkeypatch.setattr(
        preview_module,
        "preview",
        lambda stack, **kw: real(stack, **{**kw, "config_overrides": secrets}),
    )
    assert main(["--stack", "dev", "--no-policy"]) == 0
    out = capsys.readouterr().out
    assert "email [secret]" in out and "placeholder" not in out


def test_a_secret_whose_placeholder_fails_the_program_says_how_to_give_a_value() -> None:
    with pytest.raises(PreviewError) as e:
        preview("dev", pack_dir=None, config_overrides={"sourceAccount.roleArn": {"secure": "x"}})
    message = str(e.value)
    assert message.startswith(
        f"{NS}:sourceAccount.roleArn is a secret (secure:) that the offline preview can't decrypt"
    )
    assert "-c 'sourceAccount.roleArn=...'" in message and "config_overrides" not in message
    assert SECRET_PLACEHOLDER not in message


def test_secrets_can_be_resolved_by_a_tool_that_can_decrypt(tmp_path: Path) -> None:
    loaded = read(
        tmp_path, "config:\n  proj:account:\n    id: '1'\n    externalId:\n      secure: v1:AB\n"
    )
    config = resolve_secrets(loaded, lambda path: f"decrypted {path}")
    assert config["proj:account"] == {"id": "1", "externalId": "decrypted proj:account.externalId"}
    assert loaded.config["proj:account"]["externalId"] == SECRET_PLACEHOLDER  # untouched


def test_a_key_without_namespace_that_is_not_ours_is_refused_by_every_entry_point() -> None:
    # No namespace means the project's (loaders.go); the program knows its keys.
    overrides = {"vaultlock": {"mode": "compliance"}}
    with pytest.raises(PreviewError) as shown:
        preview("dev", pack_dir=None, config_overrides=overrides)
    with pytest.raises(PolicyConfigError) as written:
        policy_config("dev", overrides=overrides)
    assert str(shown.value).startswith(f"invalid config {NS}:vaultlock = ")
    assert "unknown key; valid keys: sourceAccount" in str(shown.value)
    assert str(written.value) == f"invalid configuration: {shown.value}"


def test_a_caller_that_did_not_ask_for_placeholders_gets_no_secret_silently(
    tmp_path: Path,
) -> None:
    make(tmp_path, "config:\n  proj:account:\n    id: '1'\n    externalId:\n      secure: v1:AB\n")
    with pytest.raises(SecretNotDecrypted) as e:
        load_stack_config("s", tmp_path)
    assert str(e.value) == (
        "Pulumi.s.yaml: proj:account.externalId is encrypted (secure:) and can only be read "
        "through the Pulumi CLI, e.g. `pulumi config get --path account.externalId --stack s`"
    )
    config = load_stack_config("s", tmp_path, placeholders=True)
    assert config["proj:account"]["externalId"] == SECRET_PLACEHOLDER


def test_the_preview_prints_the_clis_warnings_off_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make(tmp_path, f"config:\n{ACCOUNT}  proj:note:\n")
    (tmp_path / "__main__.py").write_text("")
    run, _, _ = preview("s", pack_dir=None, project_dir=tmp_path)
    captured = capsys.readouterr()
    assert run.error is None and captured.out == ""
    assert 'warning: No value for configuration key "proj:note".' in captured.err


def test_one_key_spelled_with_and_without_namespace_is_refused(tmp_path: Path) -> None:
    # loaders.go `stackConfigNamespacedWithProject` fills a Go map: one of the two would win at
    # random.
    with pytest.raises(OfflineError) as e:
        read(tmp_path, f"config:\n{ACCOUNT}  account: {{id: '2'}}\n")
    assert str(e.value) == (
        "Pulumi.s.yaml: account and another spelling of it both set proj:account; keep one"
    )


def test_a_project_value_applies_like_a_default_and_the_stack_wins(tmp_path: Path) -> None:
    # config.go `mergeConfig`: `!foundOnStack && (hasValue || hasDefault)` sets the project's
    # value; a value found on the stack is kept.
    project = PROJECT + "  proj:tier:\n    type: string\n    value: gold\n"
    assert read(tmp_path, f"config:\n{ACCOUNT}", project).config["proj:tier"] == "gold"
    stack = f"config:\n{ACCOUNT}  proj:tier: silver\n"
    assert read(tmp_path, stack, project).config["proj:tier"] == "silver"
