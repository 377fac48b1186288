"""Voting members by the SPC interpretation, Art. 8 and 9 (docs/architecture.md, `webapp/registry/`)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.registry.counting import DEVELOPER_MEMBER_ID, UnitRecord, format_area, natural_key, voting_members


def unit(b, n, area, status="delivered", owner=None, kind="person"):
    return UnitRecord(str(b), str(n), area, status, owner, kind if owner else None)


def test_each_exclusive_part_of_a_different_owner_counts_as_one_person():
    roster = voting_members([unit(1, 101, 8950, owner="a"), unit(1, 102, 12000, owner="b")])
    assert roster.total_heads == 2
    assert roster.total_area_centi == 20950


def test_one_buyer_with_several_parts_is_one_member_with_summed_area():
    roster = voting_members([unit(1, 101, 8950, owner="a"), unit(2, 301, 12000, owner="a"), unit(3, 101, 5000, owner="b")])
    member = next(m for m in roster.members if m.id == "owner:a")
    assert member.heads == 1
    assert member.area_centi == 20950
    assert member.units == ("1-101", "2-301")
    assert roster.total_heads == 2


def test_co_owners_of_one_part_are_one_person():
    roster = voting_members([unit(1, 101, 8950, owner="couple", kind="co_owners")])
    assert roster.total_heads == 1
    assert roster.members[0].kind == "co_owners"


def test_unsold_and_undelivered_units_form_one_developer_member():
    roster = voting_members(
        [
            unit(1, 101, 8950, owner="a"),
            unit(12, 2001, 9000, status="unsold"),
            unit(12, 2002, 9000, status="unsold"),
            unit(11, 2201, 10000, status="undelivered", owner="buyer"),
        ]
    )
    developer = next(m for m in roster.members if m.id == DEVELOPER_MEMBER_ID)
    assert developer.heads == 1
    assert developer.area_centi == 28000
    assert developer.kind == "developer"
    assert roster.total_heads == 2


def test_a_buyer_whose_other_unit_is_undelivered_counts_only_the_delivered_one():
    roster = voting_members([unit(1, 101, 8950, owner="a"), unit(11, 2201, 10000, status="undelivered", owner="a")])
    buyer = next(m for m in roster.members if m.id == "owner:a")
    assert buyer.area_centi == 8950
    assert buyer.units == ("1-101",)
    assert roster.total_heads == 2


def test_no_developer_member_when_every_unit_is_delivered():
    roster = voting_members([unit(1, 101, 8950, owner="a")])
    assert all(m.kind != "developer" for m in roster.members)


def test_an_organisation_with_many_shops_is_one_head():
    roster = voting_members([unit("S", n, 5000, owner="corp", kind="organisation") for n in range(1, 9)])
    assert roster.total_heads == 1
    assert roster.total_area_centi == 40000


def test_a_delivered_unit_without_owner_is_refused():
    with pytest.raises(ValueError, match="without an owner"):
        voting_members([unit(1, 101, 8950)])


def test_a_non_positive_area_is_refused():
    with pytest.raises(ValueError, match="positive"):
        voting_members([unit(1, 101, 0, owner="a")])


def test_units_are_listed_in_natural_building_and_unit_order():
    assert sorted(["10-101", "2-1001", "2-201"], key=natural_key) == ["2-201", "2-1001", "10-101"]


@pytest.mark.parametrize(("centi", "text"), [(0, "0.00"), (5, "0.05"), (8950, "89.50"), (1234567, "12345.67")])
def test_areas_print_with_exactly_two_decimals(centi, text):
    assert format_area(centi) == text


units_strategy = st.lists(
    st.builds(
        lambda b, n, area, status, owner: UnitRecord(str(b), str(n), area, status, None if status == "unsold" else owner, "person"),
        st.integers(1, 5),
        st.integers(101, 130),
        st.integers(1, 50_000),
        st.sampled_from(["delivered", "delivered", "delivered", "unsold", "undelivered"]),
        st.sampled_from(["a", "b", "c", "d", "e", "f"]),
    ),
    max_size=40,
    unique_by=lambda u: (u.building, u.number),
)


@settings(max_examples=200, deadline=None)
@given(units_strategy)
def test_totals_equal_the_sums_of_the_members_and_of_the_units(units):
    roster = voting_members(units)
    assert roster.total_area_centi == sum(m.area_centi for m in roster.members) == sum(u.area_centi for u in units)
    assert roster.total_heads == len(roster.members)
    assert sorted(label for m in roster.members for label in m.units) == sorted(u.label for u in units)


@settings(max_examples=200, deadline=None)
@given(units_strategy, st.randoms(use_true_random=False))
def test_merging_does_not_depend_on_row_order(units, rnd):
    shuffled = list(units)
    rnd.shuffle(shuffled)
    assert voting_members(units) == voting_members(shuffled)


@settings(max_examples=100, deadline=None)
@given(units_strategy)
def test_headcount_is_distinct_owners_of_delivered_units_plus_one_developer(units):
    owners = {u.owner_ref for u in units if u.status == "delivered"}
    developer = any(u.status in ("unsold", "undelivered") for u in units)
    assert voting_members(units).total_heads == len(owners) + int(developer)
