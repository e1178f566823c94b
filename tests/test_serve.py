"""`sanse serve`: the project's settings as Streamlit's options, and the theme it keeps between config parses."""

from __future__ import annotations

from streamlit import config

from sanse.cli import serve


def test_the_project_settings_go_to_streamlit_as_options():
    options = serve.project_settings()
    pairs = dict(zip(options[::2], options[1::2]))
    assert pairs["--server.fileWatcherType"] == "none"
    assert pairs["--runner.postScriptGC"] == "false"
    assert pairs["--server.maxUploadSize"] == "20"
    assert pairs["--theme.primaryColor"] == "#0070C0"


def test_theme_options_are_kept_until_the_config_is_parsed_again(monkeypatch):
    monkeypatch.setattr(config, "get_options_for_section", config.get_options_for_section)
    config.get_config_options(force_reparse=True)
    before = config.get_options_for_section("theme")
    serve.keep_theme_options()
    try:
        assert config.get_options_for_section("theme") == before
        config.set_option("theme.primaryColor", "#123456")  # not a parse: the kept answer stands
        assert config.get_options_for_section("theme")["primaryColor"] == before["primaryColor"]

        # a parse, as at the start (with the command line's options) or when config.toml changes
        config.get_config_options(force_reparse=True, options_from_flags={"theme.primaryColor": "#654321"})
        assert config.get_options_for_section("theme")["primaryColor"] == "#654321"
        assert config.get_options_for_section("server")["port"] == config.get_option("server.port")
    finally:
        config.get_config_options(force_reparse=True)  # the other tests' config
