"""The shipped demo city: 23 fictional towns, a deterministic campaign, a built warehouse."""

from collections import Counter

from conftest import DEMO_END

from sanse.deployment.demo import demo_reports, demo_towns
from sanse.deployment.rules_file import read_settings
from sanse.deployment.towns import read_towns
from sanse.ranking.warehouse import Warehouse


def test_demo_city_has_5_streets_17_towns_1_township():
    assert Counter(t.kind for t in demo_towns()) == {"街道": 5, "镇": 17, "乡": 1}


def test_shipped_towns_csv_is_the_demo_city(pytestconfig):
    shipped = read_towns(pytestconfig.rootpath / "data" / "towns.csv")
    assert shipped == demo_towns()


def test_shipped_rules_toml_leaves_the_campaign_start_to_the_demo_data(pytestconfig):
    """`make run` loads the demo into data/, whose days end yesterday: a fixed start would open
    the campaign with weeks of days nobody reported."""
    assert read_settings(pytestconfig.rootpath / "data" / "rules.toml").campaign.start is None


def test_demo_reports_are_deterministic():
    towns = demo_towns()
    assert demo_reports(towns).equals(demo_reports(towns))


def test_demo_home_ranks_23_towns_5_blue_and_5_red_on_the_last_day(demo_home_readonly):
    warehouse = Warehouse.open(demo_home_readonly)
    last = warehouse.dates()[-1]
    ranking = warehouse.ranking(last)
    assert len(ranking) == 23
    tiers = Counter(ranking["tier"])
    assert tiers["blue"] >= 5 and tiers["red"] <= 5
    assert tiers["blue"] + tiers["yellow"] + tiers["red"] == 23


def test_demo_can_publish_its_last_days_once(tmp_path):
    from sanse.cli.main import main
    from sanse.deployment.home import Home
    from sanse.publishing.issue import list_issues

    home = Home(tmp_path / "home")
    pinned = ["--end", str(DEMO_END)]
    assert main(["--home", str(home.root), "init", "--demo", *pinned, "--publish-days", "2"]) == 0
    assert main(["--home", str(home.root), "init", "--demo", *pinned, "--publish-days", "2"]) == 0
    issues = list_issues(home)
    assert sorted((i.number, str(i.day)) for i in issues) == [(1, "2026-10-29"), (2, "2026-10-30")]
