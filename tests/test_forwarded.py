"""Whose address sign-in throttling counts (design §13): a forwarded address only from a trusted
balancer, read from the right; never a header a client wrote itself."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sanse.access.forwarded import LOOPBACK, client_address, networks
from sanse.access.roles import access_settings
from sanse.deployment.demo import demo_settings
from sanse.deployment.errors import ConfigError
from sanse.deployment.settings import Settings

DEFAULT = networks(LOOPBACK)


def test_a_peer_that_is_no_trusted_proxy_is_the_client_whatever_it_forwards():
    assert client_address("198.51.100.7", ["6.6.6.6"], DEFAULT) == "198.51.100.7"
    assert client_address("127.0.0.2", ["6.6.6.6"], DEFAULT) == "127.0.0.2"  # loopback, but not 127.0.0.1


def test_an_ipv4_peer_of_a_dual_stack_server_is_read_as_ipv4():
    assert client_address("::ffff:127.0.0.1", ["203.0.113.9"], DEFAULT) == "203.0.113.9"
    assert client_address("::ffff:127.0.0.2", ["6.6.6.6"], DEFAULT) == "127.0.0.2"


def test_the_balancer_on_this_machine_names_the_client():
    # Streamlit reports a loopback peer as no address at all
    assert client_address(None, ["203.0.113.9"], DEFAULT) == "203.0.113.9"
    assert client_address(None, [], DEFAULT) is None  # a browser on this machine, no balancer


def test_a_forwarded_chain_is_read_from_the_right_past_the_trusted_proxies():
    trusted = networks(["10.0.0.0/24"])
    # the client wrote 6.6.6.6 itself; the trusted balancer appended the address it saw
    assert client_address("10.0.0.5", ["6.6.6.6, 198.51.100.2"], trusted) == "198.51.100.2"
    assert client_address("10.0.0.5", ["6.6.6.6", "198.51.100.2, 10.0.0.4"], trusted) == "198.51.100.2"
    assert client_address("10.0.0.5", ["10.0.0.3"], trusted) == "10.0.0.3"  # all trusted: the first


def test_without_trusted_proxies_no_header_counts():
    assert client_address(None, ["6.6.6.6"], ()) is None
    assert client_address("10.0.0.5", ["6.6.6.6"], ()) == "10.0.0.5"


def test_trusted_proxies_are_read_from_the_access_table():
    def with_access(access: dict) -> Settings:
        settings = demo_settings()
        return replace(settings, extra={**settings.extra, "access": access})

    assert access_settings(demo_settings()).trusted_proxies == DEFAULT
    listed = access_settings(with_access({"trusted_proxies": ["10.0.0.5", "192.168.1.0/24"]})).trusted_proxies
    assert [str(n) for n in listed] == ["10.0.0.5/32", "192.168.1.0/24"]
    with pytest.raises(ConfigError, match="haproxy.local"):
        access_settings(with_access({"trusted_proxies": ["haproxy.local"]}))
    with pytest.raises(ConfigError, match="trusted_proxies"):
        access_settings(with_access({"trusted_proxies": "10.0.0.5"}))
