"""How ui.serve reads its own options, and the theme it keeps between config parses."""

from __future__ import annotations

import pytest
from streamlit import config

from ui import serve


def test_processes_option_is_taken_out_and_the_rest_goes_to_streamlit():
    assert serve._processes(["--processes", "3", "--server.port", "8600"]) == (3, ["--server.port", "8600"])
    assert serve._processes(["--processes=1", "--server.headless", "true"]) == (1, ["--server.headless", "true"])
    count, rest = serve._processes(["--server.port", "8600"])
    assert 1 <= count <= serve.DEFAULT_MAX_PROCESSES and rest == ["--server.port", "8600"]
    with pytest.raises(SystemExit):
        serve._processes(["--processes", "0"])


def test_the_front_takes_the_address_and_the_processes_get_the_other_options():
    options = ["--server.port", "8600", "--server.address=0.0.0.0", "--server.headless", "true"]
    assert serve._listen_address(options) == ("0.0.0.0", 8600, "")
    assert serve._listen_address([*options, "--server.baseUrlPath", "/sanse/"])[2] == "/sanse"
    assert serve._without(options, "server.port", "server.address") == ["--server.headless", "true"]


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
