"""Settings from code and environment, with errors naming the field."""

from __future__ import annotations

import dataclasses

import pytest

from fastcore import ImproperlyConfigured, Settings


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
