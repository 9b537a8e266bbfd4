"""config.toml: the theme is saved by editing one line (issue 15 item 10), and the
README documents every key the code reads, with an example that works."""

from __future__ import annotations

import re
import tomllib
from dataclasses import fields
from pathlib import Path

import pytest

from deskui.config import load_settings, save_theme, with_top_level_string
from deskui.errors import ValidationError

README = Path(__file__).resolve().parents[1] / "README.md"


def test_setting_the_theme_edits_one_line_and_keeps_the_rest():
    text = '# desk\ndb = "x"\n\n# my keys\n[keymap]\n"app.help" = "f1"\n'
    assert with_top_level_string(text, "theme", "deskui-light") == (
        '# desk\ndb = "x"\ntheme = "deskui-light"\n\n# my keys\n[keymap]\n"app.help" = "f1"\n')
    assert with_top_level_string('theme = "a"  # mine\r\n[targets]\n', "theme", "b") == (
        'theme = "b"  # mine\r\n[targets]\n')
    assert with_top_level_string("", "theme", "a") == 'theme = "a"\n'
    # A theme key inside a table is another key: the top-level one is added.
    assert tomllib.loads(with_top_level_string('[ui]\ntheme = "x"', "theme", "y")) == {
        "theme": "y", "ui": {"theme": "x"}}
    # Quotes in a name stay a string.
    assert tomllib.loads(with_top_level_string("", "theme", 'a"b\\c'))["theme"] == 'a"b\\c'
    # What one line cannot change is refused, never written half-done.
    for text in ('theme = [\n"x"]\n', "not toml ="):
        with pytest.raises(ValueError):
            with_top_level_string(text, "theme", "y")


def test_save_theme_honours_the_config_dir_and_refuses_a_broken_file(tmp_path, monkeypatch):
    monkeypatch.setenv("DESKUI_CONFIG_DIR", str(tmp_path / "cfg"))
    path = save_theme("deskui-light")
    assert path == tmp_path / "cfg" / "config.toml"
    assert load_settings(db="x.db").theme == "deskui-light"
    path.write_text("theme = \n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"config.toml: theme not saved"):
        save_theme("deskui-dark")
    assert path.read_text(encoding="utf-8") == "theme = \n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["config.toml"]  # no temporary file left


def config_example() -> str:
    section = README.read_text(encoding="utf-8").split("### The config file", 1)[1]
    return re.search(r"```toml\n(.*?)```", section, re.S).group(1)


def test_the_readme_documents_every_config_key_with_a_working_example(tmp_path, monkeypatch):
    from deskui.domain.metrics import MetricsConfig, Targets
    from deskui.tui.keymap import check_keymap
    from deskui.tui.widgets.saved_views import views_from_settings

    example = tomllib.loads(config_example())
    # Every key the code reads is in the example.
    assert {"db", "user", "theme", "keymap", "views", "targets", "metrics"} <= set(example)
    assert set(example["targets"]) == {f.name for f in fields(Targets)}
    with pytest.raises(ValueError, match="allowed: ") as unknown:
        MetricsConfig.from_config({}, {"nonsense": 1})
    allowed = str(unknown.value).split("allowed: ")[1].split(", ")
    assert set(example["metrics"]) == set(allowed)
    # And it works: nothing in it is reported.
    MetricsConfig.from_config(example["targets"], example["metrics"])
    assert check_keymap(example["keymap"])[1] == []
    views, warnings = views_from_settings(example)
    assert warnings == [] and views[-1].name == "VPN"
    monkeypatch.setenv("DESKUI_CONFIG_DIR", str(tmp_path))
    (tmp_path / "config.toml").write_text(config_example(), encoding="utf-8")
    settings = load_settings()
    assert (settings.db_url, settings.user, settings.theme) == (example["db"], "jdoe", "deskui-light")
