"""Publishing 《每日工作动态》 (design §5): numbering, 更正 versions, what an issue freezes,
who may publish, and the CLI's answers."""

from __future__ import annotations

import json
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from sanse.access.audit import read_audit
from sanse.access.roles import SYSTEM, Forbidden, User
from sanse.cli.main import main
from sanse.deployment.home import Home
from sanse.deployment.rules_file import read_settings, write_settings
from sanse.pipelines.build.warehouse import build
from sanse.publishing.freeze import CONFIDENCE_KEYS
from sanse.publishing.issue import BulletinError, Issue, list_issues, load_issue
from sanse.publishing.prose import bulletin_paragraphs
from sanse.publishing.publish import Draft, draft_issue, publish_bulletin
from sanse.ranking.warehouse import Warehouse
from sanse.statistics.confidence import confidence_settings, provisional_count, tier_confidence
from sanse.store import schema

DAY_1, DAY_2 = date(2026, 9, 1), date(2026, 9, 2)
HEADER = "日期,镇街,检查企业数,发现隐患数,重大隐患数,整改隐患数,停产停业数,立案数,行政拘留人数,罚款金额（万元）"


def small_city(root: Path) -> Home:
    """Three towns, daily window, 1 blue and 1 red, red alert after 2 red days.

    Day 1: 甲 rates .2/.2/.2 (score 100, blue), 乙 .1/.1/.1 (50, yellow), 丙 zero (0, red).
    Day 2: 乙 .2/.2/.2 (100, blue), 甲 .1/0/0 (16.67, yellow), 丙 sends nothing (0, red).
    """
    root.mkdir(parents=True)
    (root / "towns.csv").write_text(
        "code,name,kind,group,aliases,active\nT1,甲镇,镇,,,1\nT2,乙镇,镇,,,1\nT3,丙乡,乡,,,1\n",
        encoding="utf-8",
    )
    (root / "rules.toml").write_text(
        '[campaign]\ntitle = "每日工作动态"\nfirst_issue = 1\ncity = "样例市"\nstart = 2026-09-01\n\n'
        '[[rules]]\nwindow = "daily"\nblue = 1\nred = 1\nred_alert_streak = 2\n',
        encoding="utf-8",
    )
    (root / "reports.csv").write_text(
        f"{HEADER}\n"
        "2026-09-01,甲镇,10,5,2,5,2,2,1,1.5\n"
        "2026-09-01,乙镇,10,5,1,0,1,1,0,0\n"
        "2026-09-01,丙乡,10,0,0,0,0,0,0,0\n"
        "2026-09-02,甲镇,10,4,1,2,0,0,0,0\n"
        "2026-09-02,乙镇,10,6,2,3,2,2,0,2\n",
        encoding="utf-8",
    )
    assert main(["--home", str(root), "ingest", str(root / "reports.csv")]) == 0
    return Home(root)


def thin_city(root: Path, confidence: str = "") -> Home:
    """Five towns, one day, cumulative window, 1 blue and 1 red; `confidence` is a [confidence] body.

    橙园镇 tops every rate on 12 inspections (2/12, 1/12, 1/12: score 100, blue), but two major
    hazards in 12 is weak evidence against 鹤汀乡's 30 in 300, so its blue is 待定. 麦浪镇 is
    last on 300 inspections (6, 3, 3), far below the rest: its red is well supported.
    """
    root.mkdir(parents=True)
    (root / "towns.csv").write_text(
        "code,name,kind,group,aliases,active\n"
        "T1,橙园镇,镇,,,1\nT2,鹤汀乡,乡,,,1\nT3,柳岸街道,街道,,,1\nT4,石桥镇,镇,,,1\nT5,麦浪镇,镇,,,1\n",
        encoding="utf-8",
    )
    (root / "rules.toml").write_text(
        f"[campaign]\nstart = 2026-09-01\n\n[[rules]]\nblue = 1\nred = 1\n\n[confidence]\ndraws = 400\n{confidence}\n",
        encoding="utf-8",
    )
    (root / "reports.csv").write_text(
        f"{HEADER}\n"
        "2026-09-01,橙园镇,12,4,2,2,1,1,0,0\n2026-09-01,鹤汀乡,300,60,30,30,12,12,0,0\n"
        "2026-09-01,柳岸街道,300,60,27,27,9,9,0,0\n2026-09-01,石桥镇,300,60,24,24,9,9,0,0\n"
        "2026-09-01,麦浪镇,300,60,6,6,3,3,0,0\n",
        encoding="utf-8",
    )
    assert main(["--home", str(root), "ingest", str(root / "reports.csv")]) == 0
    return Home(root)


def without_confidence(issue_json: str) -> str:
    """An issue file as published before tiers were judged: no flags, no [confidence]."""
    data = json.loads(issue_json)
    del data["confidence"]
    data["ranking"] = [{k: v for k, v in row.items() if k not in CONFIDENCE_KEYS} for row in data["ranking"]]
    return json.dumps(data, ensure_ascii=False)


@pytest.fixture
def city(tmp_path: Path) -> Home:
    return small_city(tmp_path / "city")


@pytest.fixture
def thin(tmp_path: Path) -> Home:
    return thin_city(tmp_path / "thin")


def issue_files(home: Home) -> list[tuple[date, int, int]]:
    """(day, version, number) of every stored issue."""
    return sorted((i.day, i.version, i.number) for i in list_issues(home))


def stored_content(home: Home, day: date, version: int) -> str:
    table = schema.issues
    with home.store.reading() as conn:
        return conn.execute(
            sa.select(table.c.content).where(table.c.day == day, table.c.version == version)
        ).scalar_one()


def store_issue(home: Home, day: date, version: int, number: int, content: str) -> None:
    with home.store.writing("publish") as conn:
        conn.execute(
            sa.insert(schema.issues).values(
                day=day,
                version=version,
                number=number,
                published_at=datetime.now(UTC),
                published_by="cli",
                content=content,
            )
        )


# ---------------------------------------------------------------- what an issue holds


def test_issue_freezes_the_ranking_with_tiers_and_ranks(city):
    issue = publish_bulletin(city, DAY_2, by=SYSTEM)
    rows = [(r["town"], r["rank"], r["tier"], r["rank_change"], r["tier_streak"]) for r in issue.ranking]
    assert rows == [("乙镇", 1, "blue", 1, 1), ("甲镇", 2, "yellow", -1, 1), ("丙乡", 3, "red", 0, 2)]
    assert issue.ranking[0]["major_hazard_rate"] == pytest.approx(0.2)
    assert issue.ranking[1]["score"] == pytest.approx(100 / 6)
    assert issue.ranking_frame()["code"].tolist() == ["T2", "T1", "T3"]


def test_issue_lists_tier_moves_red_towns_alerts_and_silent_towns(city):
    issue = publish_bulletin(city, DAY_2, by=SYSTEM)
    moves = [(c["town"], c["from"], c["to"]) for c in issue.tier_changes]
    assert moves == [("乙镇", "yellow", "blue"), ("甲镇", "blue", "yellow")]
    assert [r["town"] for r in issue.red_towns] == ["丙乡"]
    assert [(r["town"], r["tier_streak"]) for r in issue.red_alerts] == [("丙乡", 2)]
    assert [r["town"] for r in issue.not_reported] == ["丙乡"]
    assert issue.previous_day == DAY_1


def test_totals_carry_day_and_cumulative_rectification_rate(city):
    issue = publish_bulletin(city, DAY_2, by=SYSTEM)
    day, cumulative = issue.totals["day"], issue.totals["cumulative"]
    assert (day["hazards"], day["rectified"], day["rectification_rate"]) == (10, 5, 0.5)
    assert (cumulative["hazards"], cumulative["rectified"]) == (20, 10)
    assert cumulative["rectification_rate"] == 0.5
    assert cumulative["fines_wan"] == 3.5 and cumulative["detentions"] == 1


def test_issue_keeps_the_rules_it_was_made_with(city):
    issue = publish_bulletin(city, DAY_2, by=SYSTEM)
    settings = read_settings(city.rules_toml)
    write_settings(replace(settings, versions=(replace(settings.versions[0], window="cumulative"),)), city.rules_toml)
    assert tomllib.loads(load_issue(city, DAY_2).rules)["rules"][0]["window"] == "daily"
    assert issue.rules_used().red_alert_streak == 2


def test_bulletin_text_names_totals_moves_alerts_and_silent_towns(city):
    text = "\n".join(bulletin_paragraphs(publish_bulletin(city, DAY_2, by=SYSTEM)))
    assert "检查企业20家次，发现隐患10处，其中重大隐患3处；整改隐患5处，整改率50.0%" in text
    assert "累计检查企业50家次" in text and "罚款3.5万元" in text
    assert "蓝色1个、黄色1个、红色1个" in text
    assert "乙镇由黄色升为蓝色" in text and "甲镇由蓝色降为黄色" in text
    assert "约谈的镇街：丙乡（连续2天）" in text
    assert "当日未报送数据的镇街（1个）：丙乡" in text


# ---------------------------------------------------------------- 待定 and 样本不足


def by_town(issue) -> dict[str, dict]:
    return {row["town"]: row for row in issue.ranking}


def test_blue_tier_on_twelve_inspections_is_frozen_as_provisional(thin):
    issue = publish_bulletin(thin, DAY_1, by=SYSTEM)
    rows = by_town(issue)
    assert (rows["橙园镇"]["tier"], rows["橙园镇"]["provisional"]) == ("blue", True)
    assert rows["橙园镇"]["p_blue"] < 0.5 and rows["橙园镇"]["rank_low"] == 1 < rows["橙园镇"]["rank_high"]
    assert (rows["麦浪镇"]["tier"], rows["麦浪镇"]["provisional"]) == ("red", False)
    assert rows["麦浪镇"]["p_red"] >= 0.5
    assert not any(rows[t]["provisional"] for t in ("鹤汀乡", "柳岸街道", "石桥镇"))  # yellow is never 待定
    assert issue.provisional_count() == 1
    assert issue.confidence == {
        "provisional_below": 0.5,
        "min_inspections": 0,
        "draws": 400,
        "prior": "group",
        "seed": 20260901,
    }


def test_provisional_count_matches_the_confidence_analysis_of_the_day(thin):
    issue = publish_bulletin(thin, DAY_1, by=SYSTEM)
    settings = read_settings(thin.rules_toml)
    rules = settings.rules_on(DAY_1)
    warehouse = Warehouse.open(thin)
    try:
        tiers = tier_confidence(warehouse.window_sums(DAY_1, rules.window), rules, confidence_settings(settings))
    finally:
        warehouse.close()
    assert issue.provisional_count() == provisional_count(tiers) == 1
    flagged = dict(zip(tiers["town"], tiers["provisional"]))
    assert {r["town"]: r["provisional"] for r in issue.ranking} == flagged


def test_publishing_the_same_figures_again_freezes_the_same_flags(thin):
    first = publish_bulletin(thin, DAY_1, by=SYSTEM)
    again = publish_bulletin(thin, DAY_1, by=SYSTEM, draft=Draft(signer="王科长", correction_note="补签发人"))
    assert [{k: r[k] for k in CONFIDENCE_KEYS} for r in again.ranking] == [
        {k: r[k] for k in CONFIDENCE_KEYS} for r in first.ranking
    ]


def test_bulletin_text_names_the_provisional_tiers(thin):
    text = bulletin_paragraphs(publish_bulletin(thin, DAY_1, by=SYSTEM))
    assert "按统计可信度分析，当日有1个等级为“待定”（数据不足以确定）：橙园镇（蓝）。" in text
    assert not any("样本不足" in p for p in text)  # min_inspections is off


def test_bulletin_text_says_tiers_are_supported_when_none_is_provisional(tmp_path):
    home = thin_city(tmp_path / "home", "provisional_below = 0.0")
    issue = publish_bulletin(home, DAY_1, by=SYSTEM)
    assert issue.provisional_count() == 0
    assert "按统计可信度分析，当日蓝色、红色等级均有足够数据支持，没有“待定”等级。" in bulletin_paragraphs(issue)


def test_small_sample_towns_are_flagged_and_named_when_the_rule_is_on(tmp_path):
    home = thin_city(tmp_path / "home", "min_inspections = 20")
    issue = publish_bulletin(home, DAY_1, by=SYSTEM)
    assert [r["town"] for r in issue.small_sample_rows()] == ["橙园镇"]
    text = "\n".join(bulletin_paragraphs(issue))
    assert "活动开展以来检查企业不足20家次、样本不足的镇街（1个）：橙园镇，其排名仅供参考。" in text


def test_rules_changed_since_the_last_build_refuse_publication_until_rebuilt(city):
    settings = read_settings(city.rules_toml)
    write_settings(replace(settings, versions=(replace(settings.versions[0], window="cumulative"),)), city.rules_toml)
    with pytest.raises(BulletinError, match="请先运行 sanse .*build"):
        publish_bulletin(city, DAY_2, by=SYSTEM)  # the ranking still follows the daily window
    assert issue_files(city) == []
    build(city)
    assert publish_bulletin(city, DAY_2, by=SYSTEM).rules_used().window == "cumulative"


def test_a_bad_confidence_setting_refuses_publication_in_chinese(tmp_path):
    home = thin_city(tmp_path / "home", "provisional_below = 2")
    with pytest.raises(BulletinError, match="无法计算统计可信度.*provisional_below"):
        publish_bulletin(home, DAY_1, by=SYSTEM)
    assert issue_files(home) == []


def test_issue_published_before_tiers_were_judged_loads_as_not_provisional(thin, tmp_path):
    publish_bulletin(thin, DAY_1, by=SYSTEM)
    older = Home(tmp_path / "older").ensure()
    store_issue(older, DAY_1, 1, 1, without_confidence(stored_content(thin, DAY_1, 1)))
    issue = load_issue(older, DAY_1)
    assert issue.confidence == {} and issue.provisional_count() == 0 and issue.small_sample_rows() == []
    assert [r["town"] for r in issue.ranking] == ["橙园镇", "鹤汀乡", "柳岸街道", "石桥镇", "麦浪镇"]
    assert not any("统计可信度" in p for p in bulletin_paragraphs(issue))


# ---------------------------------------------------------------- numbering and corrections


def test_numbers_follow_first_publication_from_the_configured_first_issue(city):
    settings = read_settings(city.rules_toml)
    write_settings(replace(settings, campaign=replace(settings.campaign, first_issue=12)), city.rules_toml)
    second = publish_bulletin(city, DAY_2, by=SYSTEM)
    first = publish_bulletin(city, DAY_1, by=SYSTEM)
    assert (second.number, first.number) == (12, 13)
    assert (second.version, first.version) == (1, 1)


def test_publishing_a_day_again_makes_a_correction_with_the_same_number(city):
    original = publish_bulletin(city, DAY_1, by=SYSTEM)
    before = stored_content(city, DAY_1, 1)
    corrected = publish_bulletin(
        city,
        DAY_1,
        by=User("王科长", "admin"),
        draft=Draft(editor_note="请各镇街加快整改。", correction_note="补充编者按"),
    )
    assert (corrected.number, corrected.version, corrected.correction) == (1, 2, True)
    assert corrected.label == "第1期（更正）" and corrected.correction_note == "补充编者按"
    assert load_issue(city, DAY_1) == corrected
    assert load_issue(city, DAY_1, version=1) == original
    assert stored_content(city, DAY_1, 1) == before
    assert [(i.version, i.published_by) for i in list_issues(city)] == [(2, "王科长"), (1, "cli")]


def test_a_correction_shows_figures_corrected_after_the_first_version(city):
    publish_bulletin(city, DAY_2, by=SYSTEM)
    fixed = city.root / "fix.csv"
    fixed.write_text(f"{HEADER}\n2026-09-02,丙乡,10,3,3,3,3,3,0,0\n", encoding="utf-8")
    assert main(["--home", str(city.root), "ingest", str(fixed)]) == 0
    corrected = publish_bulletin(city, DAY_2, by=SYSTEM, draft=Draft(correction_note="丙乡更正了报送数据"))
    assert corrected.ranking[0]["town"] == "丙乡" and corrected.not_reported == ()
    assert load_issue(city, DAY_2, version=1).ranking[0]["town"] == "乙镇"


def test_what_goes_out_with_an_issue_is_done_in_its_transaction_or_not_at_all(city):
    seen = []

    def then(home, frozen):  # prepared from the frozen issue, before the transaction
        assert (home, frozen.number, frozen.day) == (city, 0, DAY_1)

        def inside(conn, issue, seq):
            seen.append((issue.number, issue.version, seq, load_issue(city, DAY_1)))
            if issue.version == 2:
                raise RuntimeError("the outbox refused")

        return inside

    issue = publish_bulletin(city, DAY_1, by=SYSTEM, then=then)
    assert seen == [(1, 1, 1, None)]  # stored as seq 1, not yet visible outside the transaction
    with pytest.raises(RuntimeError, match="outbox"):
        publish_bulletin(city, DAY_1, by=SYSTEM, then=then, draft=Draft(correction_note="补签发人", signer="甲"))
    assert [i.version for i in list_issues(city)] == [1] and load_issue(city, DAY_1) == issue


def test_the_store_refuses_a_second_issue_of_the_same_day_and_version(city):
    issue = publish_bulletin(city, DAY_1, by=SYSTEM)
    with pytest.raises(sa.exc.IntegrityError):
        store_issue(city, DAY_1, 1, 7, stored_content(city, DAY_1, 1))
    assert load_issue(city, DAY_1) == issue


def test_concurrent_publishers_never_share_a_number(city):
    drafts = [
        (DAY_1, Draft(signer="甲")),
        (DAY_2, Draft(signer="甲")),
        (DAY_1, Draft(signer="乙", correction_note="改签发人")),
        (DAY_2, Draft(signer="乙", correction_note="改签发人")),
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(lambda job: _publish_or_refusal(city, *job), drafts))
    issues = [o for o in outcomes if isinstance(o, Issue)]
    assert sorted({(i.day, i.number) for i in issues}) in ([(DAY_1, 1), (DAY_2, 2)], [(DAY_1, 2), (DAY_2, 1)])
    assert len({(i.number, i.version) for i in issues}) == len(issues) == len(issue_files(city))


def _publish_or_refusal(home: Home, day: date, draft: Draft) -> Issue | BulletinError:
    """A 更正 may reach the store before its first version does: then it is a plain refusal."""
    try:
        return publish_bulletin(home, day, by=SYSTEM, draft=draft)
    except BulletinError as refusal:
        return refusal


def test_the_same_day_published_twice_at_once_makes_one_issue(city):
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(lambda _: _publish_or_refusal(city, DAY_1, Draft()), range(2)))
    assert sum(isinstance(o, Issue) for o in outcomes) == 1
    assert "没有变化" in str(next(o for o in outcomes if isinstance(o, BulletinError)))
    assert issue_files(city) == [(DAY_1, 1, 1)]


def test_a_correction_without_its_note_is_refused(city):
    publish_bulletin(city, DAY_1, by=SYSTEM)
    with pytest.raises(BulletinError, match="请写明更正说明"):
        publish_bulletin(city, DAY_1, by=SYSTEM, draft=Draft(signer="王科长"))
    assert issue_files(city) == [(DAY_1, 1, 1)]


def test_a_correction_that_changes_nothing_is_refused_even_with_a_note(city):
    publish_bulletin(city, DAY_1, by=SYSTEM)
    with pytest.raises(BulletinError, match="没有变化"):
        publish_bulletin(city, DAY_1, by=SYSTEM, draft=Draft(correction_note="再发一次"))


def test_the_draft_is_the_issue_as_it_would_be_published(city):
    draft = draft_issue(city, DAY_2, Draft(editor_note="  各镇街要立行立改。\n", signer=" 王  科长 "))
    assert (draft.number, draft.version, draft.correction) == (1, 1, False)
    assert (draft.editor_note, draft.signer) == ("各镇街要立行立改。", "王 科长")
    issue = publish_bulletin(city, DAY_2, by=SYSTEM, draft=Draft(editor_note="各镇街要立行立改。", signer="王 科长"))
    assert issue.ranking == draft.ranking and issue.editor_note == draft.editor_note
    assert draft_issue(city, DAY_2).version == 2


def test_unpublished_day_loads_as_none(city):
    assert load_issue(city, DAY_1) is None
    assert list_issues(city) == []


# ---------------------------------------------------------------- refusals and the audit log


def test_viewer_may_not_publish_and_nothing_is_written(city):
    with pytest.raises(Forbidden, match="只有市安委办管理员可以发布"):
        publish_bulletin(city, DAY_1, by=User("领导", "viewer"))
    assert issue_files(city) == []
    assert "publication" not in set(read_audit(city).get("action", []))


def test_town_account_may_not_publish(city):
    with pytest.raises(Forbidden):
        publish_bulletin(city, DAY_1, by=User("甲镇填报员", "town", "T1"))


def test_a_day_without_ranking_is_refused_in_chinese(city):
    with pytest.raises(BulletinError, match="2026-09-03 没有排名") as raised:
        publish_bulletin(city, date(2026, 9, 3), by=SYSTEM)
    assert isinstance(raised.value, ValueError)
    assert issue_files(city) == []


def test_publication_is_in_the_audit_log(city):
    publish_bulletin(city, DAY_1, by=User("王科长", "admin"))
    publish_bulletin(city, DAY_1, by=SYSTEM, draft=Draft(signer="李主任", correction_note="改签发人"))
    events = read_audit(city)
    events = events[events["action"] == "publication"]
    assert sorted(zip(events["who"], events["number"], events["version"])) == [("cli", 1, 2), ("王科长", 1, 1)]


def test_stored_issue_is_plain_json_with_the_frozen_fields(city):
    publish_bulletin(city, DAY_1, by=SYSTEM)
    data = json.loads(stored_content(city, DAY_1, 1))
    assert (data["day"], data["number"], data["version"], data["published_by"]) == ("2026-09-01", 1, 1, "cli")
    assert len(data["ranking"]) == 3


# ---------------------------------------------------------------- command line


def test_cli_publish_prints_the_issue_and_exits_0(city, capsys):
    assert main(["--home", str(city.root), "publish", "--date", "2026-09-02"]) == 0
    assert "第1期" in capsys.readouterr().out
    assert main(["--home", str(city.root), "publish", "--date", "2026-09-02"]) == 1
    assert "没有变化" in capsys.readouterr().err
    assert (
        main(
            [
                "--home",
                str(city.root),
                "publish",
                "--date",
                "2026-09-02",
                "--signer",
                "王科长",
                "--correction-note",
                "补签发人",
            ]
        )
        == 0
    )
    assert "更正" in capsys.readouterr().out


def test_cli_publish_of_an_unranked_day_exits_1(city, capsys):
    assert main(["--home", str(city.root), "publish", "--date", "2026-10-01"]) == 1
    assert "没有排名" in capsys.readouterr().err
    assert issue_files(city) == []


def test_cli_publish_without_a_warehouse_exits_1(tmp_path, capsys):
    assert main(["--home", str(tmp_path), "publish", "--date", "2026-09-01"]) == 1
    assert "数据仓库" in capsys.readouterr().err


def test_demo_city_issue_covers_every_town(demo_home):
    issue = publish_bulletin(demo_home, date(2026, 10, 12), by=SYSTEM)
    assert len(issue.ranking) == 23
    assert issue.tier_counts() == {"blue": 5, "yellow": 13, "red": 5}
    assert issue.city == "示范市" and issue.office == "示范市安委办"
