"""Names in a query that match nothing are reported with the closest names
(issue 15.5): `assignee:nobodyhere` no longer silently lists nothing."""

from __future__ import annotations

import pytest

from deskui.domain.query import QueryError
from deskui.reads.queue import check_names, first_page
from deskui.services import tickets as svc
from deskui.services.actors import actor_for


@pytest.fixture
def desk(org, frozen_now):
    svc.open_ticket(org, actor_for(org, "demo"), subject="VPN down", requester="ana.ruiz@northwind.example",
                    requester_name="Ana Ruiz", category="Network/VPN")
    return org


@pytest.mark.parametrize("query, message", [
    ("assignee:nobodyhere", 'assignee:nobodyhere matches no analyst'),
    ("assignee:akahn", "assignee:akahn matches no analyst; closest: akhan (Amira Khan)"),
    ('assignee:"Amira Kahn"', 'assignee:"Amira Kahn" matches no analyst; closest: akhan (Amira Khan)'),
    ('group:"Network Ops"', 'group:"Network Ops" matches no group; closest: "Network Operations"'),
    ("category:network/vnp", "category:network/vnp matches no category; closest: Network/VPN"),
    ("requester:ana.ruis", "requester:ana.ruis matches no requester; closest: ana.ruiz@northwind.example"),
    ("vpn -group:Netwrok", 'group:Netwrok matches no group; closest: "Network Operations"'),
])
def test_an_unknown_name_is_reported_with_the_closest(desk, query, message):
    found = check_names(desk, query)
    assert found.startswith(message), found
    with pytest.raises(QueryError, match="matches no"):
        first_page(desk, query, check=True)


def test_names_that_exist_are_quiet(desk):
    for query in ("assignee:akhan", 'assignee:"amira khan"', "assignee:me assignee:none", 'group:"service desk"',
                  'group:"network operations"', "category:network", "category:VPN", "category:network/vpn",
                  "requester:ana.ruiz", "requester:ANA.RUIZ@northwind.example", 'requester:"Ana Ruiz"',
                  "status:open vpn", ""):
        assert check_names(desk, query) == "", query


def test_several_unknown_names_are_all_named(desk):
    found = check_names(desk, "assignee:akahn,zzzz group:Netwrok")
    assert "assignee:akahn" in found and "assignee:zzzz" in found and "group:Netwrok" in found
    assert "\n" not in found
