import pytest

from webapp.core import identity


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014", "110101199003074477"])
def test_resident_ids_with_a_correct_check_digit_are_people(number):
    assert identity.classify_id(number) == "person"


@pytest.mark.parametrize(
    "number",
    ["110105194912310021", "11010519491331002X", "1101051949123100", "11010519491231002Y", "abc", "", "1.10105194912310E+17"],
)
def test_malformed_resident_ids_are_refused(number):
    assert identity.classify_id(number) is None


@pytest.mark.parametrize("number", ["91350100M000100Y43", "91110000600037341L"])
def test_unified_social_credit_codes_are_organisations(number):
    assert identity.classify_id(number) == "organisation"


def test_a_credit_code_with_a_wrong_check_character_is_refused():
    assert identity.classify_id("91350100M000100Y44") is None


def test_keyed_hashes_differ_by_key_and_by_purpose():
    a = identity.keyed_hash("k1", "11010519491231002X", purpose="id")
    assert a != identity.keyed_hash("k2", "11010519491231002X", purpose="id")
    assert a != identity.keyed_hash("k1", "11010519491231002X", purpose="phone")
    assert a == identity.keyed_hash("k1", "11010519491231002X", purpose="id")


def test_masks_hide_the_tail_that_owners_prove_at_registration():
    assert identity.mask_id("11010519491231002X") == "1101" + "*" * 14
    assert identity.mask_phone("13812345678") == "138****5678"


def test_a_resident_id_is_judged_by_its_check_digit_not_by_its_birth_date():
    assert identity.classify_id("110105194913310021") == "person"
