"""Checks on the college team data files (NCAA football FBS and men's basketball).

The files are read with plain ``json`` so these tests do not depend on the loader.
"""

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

LEAGUES_DIR = (
    Path(__file__).resolve().parents[1] / "src" / "arbkit" / "matching" / "data" / "leagues"
)
FILES = {"NCAAF": "ncaaf.json", "NCAAB": "ncaab.json"}

TOP_LEVEL = {
    "league": str,
    "sport": str,
    "name": str,
    "kalshi_series": list,
    "polymarket_prefixes": list,
    "_notes": str,
    "teams": list,
}
TEAM_FIELDS = {
    "id": str,
    "name": str,
    "school": str,
    "city": str,
    "nickname": str,
    "conference": str,
    "codes": dict,
    "aliases": list,
    "former_names": list,
}
CODE_KINDS = ("standard", "kalshi", "polymarket")

# Apostrophes (straight, curly, Hawaiian okina) are dropped so "Hawai'i" == "Hawaii".
_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bb`]")
# Folded so that "St." / "Saint" / "State" spellings of two schools cannot slip past the check.
_TOKEN_FOLD = {"saint": "st", "state": "st", "mount": "mt"}


def normalise(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form of a team label."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = _APOSTROPHES.sub("", text).replace("&", " and ")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(_TOKEN_FOLD.get(tok, tok) for tok in text.split())


def labels(team: dict) -> set[str]:
    raw = [team["name"], team["school"], *team["aliases"], *team["former_names"]]
    return {normalise(label) for label in raw}


@pytest.fixture(scope="module", params=sorted(FILES))
def league(request) -> dict:
    with open(LEAGUES_DIR / FILES[request.param], encoding="utf-8") as fh:
        data = json.load(fh)
    assert data["league"] == request.param
    return data


def _load(league_code: str) -> dict:
    with open(LEAGUES_DIR / FILES[league_code], encoding="utf-8") as fh:
        return json.load(fh)


def _by_school(data: dict) -> dict[str, dict]:
    return {team["school"]: team for team in data["teams"]}


def test_top_level_fields(league):
    for key, kind in TOP_LEVEL.items():
        assert isinstance(league.get(key), kind), key
    assert league["kalshi_series"] and all(
        isinstance(s, str) and s.startswith("KX") and s.isupper() for s in league["kalshi_series"]
    )
    assert league["polymarket_prefixes"] and all(
        isinstance(p, str) and p.islower() for p in league["polymarket_prefixes"]
    )
    assert league["teams"]


def test_team_fields_and_types(league):
    for team in league["teams"]:
        for key, kind in TEAM_FIELDS.items():
            assert isinstance(team.get(key), kind), (team.get("id"), key)
        for key in ("id", "name", "school", "city", "nickname", "conference"):
            assert team[key].strip() == team[key] and team[key], (team["id"], key)
        assert set(team["codes"]) == set(CODE_KINDS), team["id"]
        for kind in CODE_KINDS:
            codes = team["codes"][kind]
            assert codes and all(isinstance(c, str) and c for c in codes), (team["id"], kind)
        assert all(c == c.upper() for c in team["codes"]["kalshi"]), team["id"]
        assert all(c == c.lower() for c in team["codes"]["polymarket"]), team["id"]
        assert all(isinstance(a, str) and a.strip() for a in team["aliases"]), team["id"]
        assert all(isinstance(f, str) and f.strip() for f in team["former_names"]), team["id"]


def test_ids_unique_and_well_formed(league):
    ids = [team["id"] for team in league["teams"]]
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert not duplicates
    prefix = league["league"].lower() + "-"
    for team in league["teams"]:
        assert team["id"] == prefix + team["codes"]["standard"][0].lower()


def test_no_label_shared_by_two_teams(league):
    owner: dict[str, str] = {}
    clashes = []
    for team in league["teams"]:
        for label in labels(team):
            assert label, team["id"]
            if label in owner and owner[label] != team["id"]:
                clashes.append((label, owner[label], team["id"]))
            owner.setdefault(label, team["id"])
    assert not clashes


@pytest.mark.parametrize("kind", CODE_KINDS)
def test_codes_unique_per_venue(league, kind):
    owner: dict[str, str] = {}
    clashes = []
    for team in league["teams"]:
        for code in team["codes"][kind]:
            key = code.lower()
            if key in owner and owner[key] != team["id"]:
                clashes.append((code, owner[key], team["id"]))
            owner.setdefault(key, team["id"])
    assert not clashes


@pytest.mark.parametrize("nickname", ["Tigers", "Bulldogs", "Wildcats", "Cougars", "Aggies"])
def test_shared_nicknames_are_not_aliases(league, nickname):
    teams_with_it = [t for t in league["teams"] if t["nickname"] == nickname]
    assert len(teams_with_it) >= 2
    for team in league["teams"]:
        assert normalise(nickname) not in {normalise(a) for a in team["aliases"]}, team["id"]


def test_ambiguous_abbreviations_are_not_aliases(league):
    all_aliases = {normalise(a) for t in league["teams"] for a in t["aliases"]}
    ambiguous = ["OSU", "MSU", "ISU", "KSU"]
    if league["league"] == "NCAAB":
        ambiguous += ["SDSU", "USF"]  # South Dakota State, San Francisco
    for abbreviation in ambiguous:
        assert normalise(abbreviation) not in all_aliases, abbreviation


def test_fbs_team_count():
    data = _load("NCAAF")
    assert len(data["teams"]) >= 130
    assert "KXNCAAFGAME" in data["kalshi_series"]
    assert {"cfb", "cfp"} <= set(data["polymarket_prefixes"])


def test_fbs_newcomers_present():
    schools = _by_school(_load("NCAAF"))
    for school in ("Delaware", "Missouri State", "Sacramento State", "North Dakota State"):
        assert school in schools


@pytest.mark.parametrize(
    ("conference", "minimum"),
    [("ACC", 11), ("Big Ten", 11), ("Big 12", 11), ("SEC", 11), ("Big East", 10)],
)
def test_ncaab_power_conference_sizes(conference, minimum):
    data = _load("NCAAB")
    assert "KXNCAAMBGAME" in data["kalshi_series"]
    count = sum(1 for team in data["teams"] if team["conference"] == conference)
    assert count >= minimum


def test_every_fbs_school_is_in_ncaab():
    football = _by_school(_load("NCAAF"))
    basketball = _by_school(_load("NCAAB"))
    assert set(football) <= set(basketball)
    for school, team in football.items():
        assert basketball[school]["name"] == team["name"]


def _resolve(data: dict, label: str) -> str | None:
    wanted = normalise(label)
    hits = [t["school"] for t in data["teams"] if wanted in labels(t)]
    assert len(hits) <= 1, (label, hits)
    return hits[0] if hits else None


@pytest.mark.parametrize(
    ("label", "school"),
    [
        ("Miami", "Miami"),
        ("Miami (FL)", "Miami"),
        ("Miami (OH)", "Miami (OH)"),
        ("Miami Ohio", "Miami (OH)"),
        ("USC", "USC"),
        ("South Carolina", "South Carolina"),
        ("Ole Miss", "Ole Miss"),
        ("Mississippi", "Ole Miss"),
        ("Miss. State", "Mississippi State"),
        ("Pitt", "Pittsburgh"),
        ("UNC", "North Carolina"),
        ("NC State", "NC State"),
        ("Texas A&M", "Texas A&M"),
        ("Hawaii", "Hawai'i"),
        ("Hawai\u02bbi", "Hawai'i"),
        ("San Jose State", "San José State"),
        ("App State", "App State"),
        ("Appalachian State", "App State"),
        ("Louisiana-Lafayette", "Louisiana"),
        ("ULM", "UL Monroe"),
        ("Louisiana-Monroe", "UL Monroe"),
        ("Southern Miss", "Southern Miss"),
        ("UConn", "UConn"),
        ("Fresno St.", "Fresno State"),
        ("Ohio St.", "Ohio State"),
        ("UTSA", "UTSA"),
        ("FIU", "FIU"),
    ],
)
@pytest.mark.parametrize("league_code", sorted(FILES))
def test_known_labels_resolve(league_code, label, school):
    assert _resolve(_load(league_code), label) == school


@pytest.mark.parametrize(
    ("label", "school"),
    [
        ("St. John's", "St. John's"),
        ("Saint Mary's", "Saint Mary's"),
        ("St. Mary's (CA)", "Saint Mary's"),
        ("Mount St. Mary's", "Mount St. Mary's"),
        ("Gonzaga", "Gonzaga"),
        ("VCU", "VCU"),
        ("Loyola Chicago", "Loyola Chicago"),
        ("Loyola (MD)", "Loyola Maryland"),
        ("San Diego", "San Diego"),
        ("San Diego State", "San Diego State"),
        ("Penn", "Penn"),
        ("Penn State", "Penn State"),
    ],
)
def test_known_basketball_labels_resolve(label, school):
    assert _resolve(_load("NCAAB"), label) == school


def test_ambiguous_labels_do_not_resolve():
    assert _resolve(_load("NCAAB"), "Loyola") is None
    assert _resolve(_load("NCAAB"), "USF") is None
    assert _resolve(_load("NCAAF"), "OSU") is None


def test_observed_cfp_codes():
    schools = _by_school(_load("NCAAF"))
    assert "ORE" in schools["Oregon"]["codes"]["kalshi"]
    assert "ore" in schools["Oregon"]["codes"]["polymarket"]
    assert "IND" in schools["Indiana"]["codes"]["kalshi"]
    assert "ind" in schools["Indiana"]["codes"]["polymarket"]


def test_realigned_conferences():
    football = _by_school(_load("NCAAF"))
    basketball = _by_school(_load("NCAAB"))
    assert football["Texas"]["conference"] == "SEC"
    assert football["Oklahoma"]["conference"] == "SEC"
    for school in ("USC", "UCLA", "Oregon", "Washington"):
        assert football[school]["conference"] == "Big Ten"
    for school in ("SMU", "Stanford", "California"):
        assert football[school]["conference"] == "ACC"
    pac12 = {"Boise State", "Colorado State", "Fresno State", "San Diego State", "Utah State"}
    pac12 |= {"Oregon State", "Washington State", "Texas State"}
    for school in pac12:
        assert football[school]["conference"] == "Pac-12"
        assert basketball[school]["conference"] == "Pac-12"
    assert basketball["Gonzaga"]["conference"] == "Pac-12"
    assert basketball["Notre Dame"]["conference"] == "ACC"
    assert basketball["UConn"]["conference"] == "Big East"
