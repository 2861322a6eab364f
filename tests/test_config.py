"""Settings from code and environment, with errors naming the field."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from fastcore import App, ImproperlyConfigured, Settings


def test_environment_values_are_parsed_by_type() -> None:
    settings = Settings.from_env(
        {"FASTCORE_DEBUG": "yes", "FASTCORE_PORT": "9000", "FASTCORE_TEMPLATE_FOLDERS": "a, b"}
    )
    assert settings.debug is True
    assert settings.port == 9000
    assert settings.template_folders == ["a", "b"]


def test_code_wins_over_environment() -> None:
    assert Settings.from_env({"FASTCORE_PORT": "9000"}, port=7000).port == 7000


def test_bad_values_name_the_variable_or_field() -> None:
    with pytest.raises(ImproperlyConfigured, match="FASTCORE_PORT='eighty'"):
        Settings.from_env({"FASTCORE_PORT": "eighty"})
    with pytest.raises(ImproperlyConfigured, match="FASTCORE_DEBUG"):
        Settings.from_env({"FASTCORE_DEBUG": "maybe"})
    with pytest.raises(ImproperlyConfigured, match="'port' must be 0..65535"):
        Settings.from_env({}, port=70000)
    with pytest.raises(ImproperlyConfigured, match="'workers' must be int"):
        Settings.from_env({}, workers="2")
    with pytest.raises(ImproperlyConfigured, match="unknown setting"):
        Settings.from_env({}, colour="blue")


def test_subclasses_add_their_own_fields() -> None:
    @dataclasses.dataclass(kw_only=True)
    class MySettings(Settings):
        api_key: str | None = None
        page_size: int = 20

    settings = MySettings.from_env({"FASTCORE_PAGE_SIZE": "50", "FASTCORE_API_KEY": "k"})
    assert (settings.page_size, settings.api_key) == (50, "k")
    with pytest.raises(ImproperlyConfigured, match="FASTCORE_PAGE_SIZE"):
        MySettings.from_env({"FASTCORE_PAGE_SIZE": "lots"})


def test_a_dot_env_file_fills_in_what_the_environment_lacks(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# local settings\nFASTCORE_PORT=9100\nexport FASTCORE_DEBUG=yes\n"
        'FASTCORE_ALLOWED_HOSTS="a.example, b.example"\n'
    )
    settings = Settings.from_env({}, env_file=env_file)
    assert (settings.port, settings.debug) == (9100, True)
    assert settings.allowed_hosts == ["a.example", "b.example"]
    # The environment wins over the file, and code over both.
    assert Settings.from_env({"FASTCORE_PORT": "9000"}, env_file=env_file).port == 9000
    assert Settings.from_env({"FASTCORE_PORT": "9000"}, env_file=env_file, port=7000).port == 7000
    # A missing file is no error; env_file=None reads none.
    assert Settings.from_env({}, env_file=tmp_path / "absent").port == 8000
    assert Settings.from_env({}, env_file=None).port == 8000


def test_a_dot_env_error_names_the_file_and_line(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("FASTCORE_PORT=9100\nthis is not an assignment\n")
    with pytest.raises(ImproperlyConfigured, match=r"\.env:2: not a NAME=value line"):
        Settings.from_env({}, env_file=env_file)
    env_file.write_text("FASTCORE_PORT=ninety\n")
    with pytest.raises(ImproperlyConfigured, match="FASTCORE_PORT='ninety'"):
        Settings.from_env({}, env_file=env_file)


def test_an_app_reads_the_dot_env_of_its_directory_into_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("FASTCORE_PORT=9200\nFASTCORE_TEST_DOTENV_EXTRA=from-file\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FASTCORE_PORT", raising=False)
    monkeypatch.delenv("FASTCORE_TEST_DOTENV_EXTRA", raising=False)
    assert App().settings.port == 9200
    # Other code (a DATABASE_URL read by the app, say) sees the file's variables.
    assert os.environ["FASTCORE_TEST_DOTENV_EXTRA"] == "from-file"
    monkeypatch.setenv("FASTCORE_PORT", "9300")
    assert App().settings.port == 9300
