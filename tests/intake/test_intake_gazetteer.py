"""The gazetteer: aliases map to the process's parties and people; bad data is named."""

import pytest

from parley.intake.gazetteer import Gazetteer, default_gazetteer


def test_capital_cities_and_seats_of_government_map_to_their_party() -> None:
    gz = default_gazetteer()
    assert gz.party("the Kremlin") == ("Russia", True)
    assert gz.party("Moscow") == ("Russia", True)
    assert gz.party("Kyiv") == ("Ukraine", True)
    assert gz.party("Washington") == ("United States", True)
    assert gz.party("White House") == ("United States", True)
    assert gz.party("Brussels") == ("European Union", True)
    assert gz.party("Norway") == ("Norway", False)  # a state outside the process
    assert gz.party("Atlantis") is None


def test_people_are_found_by_alias_and_possessive() -> None:
    gz = default_gazetteer()
    assert gz.person("Zelenskiy").name == "Volodymyr Zelenskyy"
    assert gz.person("Witkoff's").name == "Steve Witkoff"
    assert gz.document("20-point plan").name == "20-point peace plan"


def test_a_gazetteer_round_trips_through_plain_data() -> None:
    gz = default_gazetteer()
    again = Gazetteer.from_dict(gz.to_dict())
    assert again == gz
    assert again.fingerprint == gz.fingerprint


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"parties": [{"aliases": ["X"]}]}, "parties[0].name"),
        ({"people": [{"name": "A", "aliases": "not a list"}]}, "people[0].aliases"),
        ({"places": "Miami"}, "places"),
    ],
)
def test_malformed_gazetteer_data_names_the_field(data: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Gazetteer.from_dict(data)
