"""Registry import: validation of every row, all or nothing, and the diff of a re-import."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from tests.factories import CORP, GOOD, HEADER, LI, MOU, WANG, ZHANG, ZHAO, csv_bytes, plan_of, rejected
from webapp.registry.importing import import_file, validate_file
from webapp.registry.models import Owner, OwnerHolder, Unit
from webapp.registry.operations import diff_registry, estate_roster
from webapp.registry.parsing import RegistryFileError
from webapp.registry.plan import RegistryRejected


@pytest.fixture
def estate(make_estate):
    return make_estate()


def test_a_good_registry_is_imported_with_members_and_totals(db_session, estate):
    diff = import_file(estate, GOOD, "r.csv", actor="test")
    db_session.commit()
    assert len(diff.added_units) == 6
    roster, owners = estate_roster(estate)
    # 张三 (1-101 + 2-201), 李四/王五, the company, and the developer (3-301 unsold + 3-302 undelivered)
    assert roster.total_heads == 4
    assert roster.total_area_centi == 8950 + 12000 + 10025 + 9500 + 9500 + 5000
    zhang = next(m for m in roster.members if "1-101" in m.units)
    assert zhang.units == ("1-101", "2-201")
    assert zhang.area_centi == 18975
    kinds = sorted(m.kind for m in roster.members)
    assert kinds == ["co_owners", "developer", "organisation", "person"]


def test_identity_and_phone_numbers_are_stored_only_as_keyed_hashes_and_masks(db_session, estate):
    import_file(estate, GOOD, "r.csv", actor="test")
    db_session.commit()
    for holder in db_session.scalars(select(OwnerHolder)):
        stored = " ".join(str(v) for v in vars(holder).values())
        assert ZHANG not in stored
        assert LI not in stored
        assert "13812345678" not in stored
    zhang = db_session.scalar(select(OwnerHolder).where(OwnerHolder.name == "张三"))
    assert zhang.id_masked == "1101**************"
    assert zhang.phone_masked == "138****5678"


def test_the_first_listed_co_owner_is_the_voting_representative(db_session, estate):
    import_file(estate, GOOD, "r.csv", actor="test")
    owner = db_session.scalar(select(Owner).where(Owner.display_name == "李四、王五"))
    assert [h.is_representative for h in owner.holders] == [True, False]


def test_rows_with_the_same_identity_numbers_in_another_order_are_one_owner(db_session, estate):
    data = csv_bytes(f"1,101,80,,李四、王五,{LI}、{WANG},,", f"1,102,80,,王五、李四,{WANG}、{LI},,")
    import_file(estate, data, "r.csv", actor="test")
    roster, _ = estate_roster(estate)
    assert roster.total_heads == 1
    assert roster.members[0].area_centi == 16000


def test_english_headers_in_any_order_are_accepted(db_session, estate):
    data = csv_bytes(f"{ZHANG},张三,101,1,89.50", header="id_number,owner,unit,building,area")
    import_file(estate, data, "r.csv", actor="test")
    assert db_session.scalar(select(func.count(Unit.id))) == 1


def test_unknown_columns_are_ignored_with_a_warning():
    data = csv_bytes(f"1,101,89.5,登记,张三,{ZHANG},,,x", header=HEADER + ",备注")
    plan = plan_of(data)
    assert any("备注" in zh for zh, en in plan.warnings)


def test_a_gb18030_csv_from_a_property_office_is_read(db_session, estate):
    import_file(estate, GOOD.decode().encode("gb18030"), "r.csv", actor="test")
    assert db_session.scalar(select(func.count(Unit.id))) == 6


def test_an_xlsx_registry_is_read_with_numeric_cells(db_session, estate):
    book = Workbook()
    sheet = book.active
    sheet.append(["楼栋", "房号", "面积", "业主", "证件号", "手机"])
    sheet.append([1, 101, 89.5, "张三", ZHANG, 13812345678])
    sheet.append([1, 102, 120, "李四", LI, None])
    buffer = io.BytesIO()
    book.save(buffer)
    import_file(estate, buffer.getvalue(), "r.xlsx", actor="test")
    roster, _ = estate_roster(estate)
    assert roster.total_area_centi == 20950


@pytest.mark.parametrize(
    ("row", "column", "fragment"),
    [
        (f"1,101,,,张三,{ZHANG},,", "area", "area is missing"),
        (f"1,101,0,,张三,{ZHANG},,", "area", "not positive"),
        (f"1,101,-5,,张三,{ZHANG},,", "area", "not positive"),
        (f"1,101,89.505,,张三,{ZHANG},,", "area", "more than two decimals"),
        (f"1,101,八十,,张三,{ZHANG},,", "area", "not a number"),
        (f"1,101,1e3,,张三,{ZHANG},,", "area", "not a number"),
        ("1,101,89.5,,,,,", "owner", "owner name is missing"),
        ("1,101,89.5,,张三,,,", "id_number", "identity number is missing"),
        (f"1,101,89.5,,张三、李四,{ZHANG},,", "id_number", "2 owner name(s) but 1 identity number(s)"),
        ("1,101,89.5,,张三,110105194912310021,,", "id_number", "not a valid"),
        (f"1,101,89.5,,张三,{ZHANG},12345,", "phone", "not a mainland mobile"),
        (f"1,101,89.5,,张三,{ZHANG},,已卖", "status", "not one of"),
        (f"1,101,89.5,估算,张三,{ZHANG},,", "area_basis", "not one of"),
        (f",101,89.5,,张三,{ZHANG},,", "building", "building is missing"),
        (f"1,,89.5,,张三,{ZHANG},,", "unit", "unit number is missing"),
        (f"1,101,89.5,,张三、张三,{ZHANG}、{ZHANG},,", "id_number", "appears twice"),
        ("1,101,89.5,,,,,未交付", "owner", "owner name is missing"),
    ],
)
def test_every_bad_row_is_rejected_with_its_reason(row, column, fragment):
    report = rejected(csv_bytes(row))
    assert any(p.column == column and fragment in p.en and p.zh and p.row == 2 for p in report.problems), report.problems


def test_a_duplicate_unit_names_both_rows():
    report = rejected(csv_bytes(f"1,101,89.5,,张三,{ZHANG},,", f"1,101,90,,李四,{LI},,"))
    assert [(p.row, p.column) for p in report.problems] == [(3, "unit")]
    assert "row 2" in report.problems[0].en


def test_one_identity_number_under_two_names_is_rejected():
    report = rejected(csv_bytes(f"1,101,89.5,,张三,{ZHANG},,", f"1,102,90,,张叁,{ZHANG},,"))
    assert report.problems[0].row == 3
    assert "belongs to" in report.problems[0].en


def test_the_report_names_every_bad_row_not_only_the_first():
    report = rejected(csv_bytes("1,101,0,,张三,x,,", f"1,102,90,,李四,{LI},,", "1,103,,,王五,,,"))
    assert sorted({p.row for p in report.problems}) == [2, 4]
    assert len(report.problems) >= 4


def test_a_bad_file_changes_nothing(db_session, estate):
    import_file(estate, GOOD, "r.csv", actor="test")
    db_session.commit()
    with pytest.raises(RegistryRejected):
        import_file(estate, csv_bytes(f"1,101,70,,张三,{ZHANG},,", "1,999,0,,x,y,,"), "bad.csv", actor="test")
    db_session.rollback()
    assert db_session.scalar(select(func.count(Unit.id))) == 6
    assert db_session.scalar(select(Unit.area_centi).where(Unit.number == "101")) == 8950


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "empty"),
        ("楼栋,房号\n1,101\n".encode(), "Missing required column"),
        ("楼栋,房号,面积,业主,证件号,楼号\n".encode(), "appears twice"),
        (b"\xff\xfe\x00garbage\x81\x30", "decode"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(data, fragment):
    with pytest.raises(RegistryFileError) as info:
        plan_of(data)
    assert fragment in info.value.en
    assert info.value.zh


def test_a_header_only_file_is_rejected():
    report = rejected(csv_bytes())
    assert "no unit rows" in report.problems[0].en


def test_reimporting_a_changed_registry_shows_added_removed_and_changed(db_session, estate):
    import_file(estate, GOOD, "r.csv", actor="test")
    db_session.commit()
    changed = csv_bytes(
        f"1,101,90.00,登记,张三,{ZHANG},13812345678,已交付",  # area changed
        f"1,102,120,实测,李四、王五,{LI}、{WANG},,已交付",
        f"2,201,100.25,,张三,{ZHANG},,",
        f"3,301,95.00,合同,赵六,{ZHAO},,已交付",  # sold and delivered to a new owner
        f"S,1,50.00,登记,明远商贸有限公司,{CORP},,已交付",
        f"4,401,70,,张三,{ZHANG},,",  # new unit
    )
    diff = diff_registry(estate, validate_file(changed, "r2.csv"))
    assert diff.added_units == ["4-401"]
    assert diff.removed_units == ["3-302"]
    changed_labels = dict(diff.changed_units)
    assert set(changed_labels) == {"1-101", "3-301"}
    assert any("89.50 → 90.00" in c for c in changed_labels["1-101"])
    assert diff.added_owners == ["赵六"]
    assert diff.removed_owners == ["某某"]
    import_file(estate, changed, "r2.csv", actor="test")
    db_session.commit()
    assert diff_registry(estate, validate_file(changed, "r2.csv")).empty


def test_reimport_keeps_the_rows_of_unchanged_units_and_owners(db_session, estate):
    import_file(estate, GOOD, "r.csv", actor="test")
    db_session.commit()
    unit_id = db_session.scalar(select(Unit.id).where(Unit.number == "101"))
    owner_id = db_session.scalar(select(Owner.id).where(Owner.display_name == "张三"))
    import_file(estate, GOOD, "r.csv", actor="test")
    db_session.commit()
    assert db_session.scalar(select(Unit.id).where(Unit.number == "101")) == unit_id
    assert db_session.scalar(select(Owner.id).where(Owner.display_name == "张三")) == owner_id


def test_reimport_with_co_owners_reordered_and_one_added_keeps_their_rows(db_session, estate):
    import_file(estate, csv_bytes(f"1,101,80,,李四、王五,{LI}、{WANG},,"), "r.csv", actor="test")
    db_session.commit()
    li = db_session.scalar(select(OwnerHolder).where(OwnerHolder.name == "李四"))
    import_file(estate, csv_bytes(f"1,101,80,,王五、李四,{WANG}、{LI},,"), "r.csv", actor="test")
    db_session.commit()
    db_session.expire_all()
    owner = db_session.scalar(select(Owner))
    assert [h.name for h in owner.holders] == ["王五", "李四"]
    assert db_session.get(OwnerHolder, li.id).position == 1
    assert [h.is_representative for h in owner.holders] == [False, True]  # the named representative stays


def test_co_owners_separated_by_semicolons_in_every_row_do_not_confuse_the_csv_reader():
    plan = plan_of(csv_bytes(f"1,101,80,,李四;王五,{LI};{WANG},,", f"1,102,80,,张三;某某,{ZHANG};{MOU},,"))
    assert sorted(o.display_name for o in plan.owners.values()) == ["张三、某某", "李四、王五"]


def test_a_tab_separated_export_is_read():
    data = ("\t".join(HEADER.split(",")) + "\n" + f"1\t101\t89.5\t\t张三\t{ZHANG}\t\t\n").encode()
    assert len(plan_of(data).units) == 1
