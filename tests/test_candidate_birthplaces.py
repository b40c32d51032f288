"""A birthplace written as the institution — «Bệnh viện Phụ sản Hà Nội», «BV Bạch Mai, P.
Kim Liên, TP Hà Nội», «trạm y tế xã …» — as a birth certificate's «Nơi sinh» reads it. Item (5)
is the place of birth registration and (6) the hometown: HD 38 asks for the place names (xã,
phường, đặc khu; tỉnh, thành phố), so a hospital is no commune: without one it gets the
missing-commune error every address gets, and the hospital's name a warning of its own."""

from __future__ import annotations

import pytest

from handlers.router import Router
from tests.samples import load_sample
from tests.test_conversation import cursor, dossier
from tests.test_honest_conversation import at, missing, router

__all__ = ["router"]  # the fixture, shared

MISSING_COMMUNE = "thiếu cấp xã (xã, phường, đặc khu)"
INSTITUTION = "bệnh viện, trạm y tế là nơi sinh ra, không phải địa danh"


@pytest.mark.parametrize(
    ("typed", "commune_missing"),
    [
        ("Bệnh viện Phụ sản Hà Nội", True),
        ("BV Phụ sản Hà Nội", True),
        ("benh vien phu san ha noi", True),
        ("bệnh viện huyện Thanh Bình, Thái Bình", True),
        ("Trung tâm y tế huyện Thanh Bình, tỉnh Thái Bình", True),
        ("Bệnh viện Bạch Mai, phường Kim Liên, thành phố Hà Nội", False),
        ("tram y te xa an lac, tinh hung yen", False),
    ],
)
async def test_a_hospital_at_the_birth_registration_is_no_commune(
    router: Router, typed: str, commune_missing: bool
) -> None:
    """«Bệnh viện Phụ sản Hà Nội» at (5) was read as the commune «Bệnh viện Phụ sản»: no
    error, where «Hà Nội» alone gets one; «bệnh viện huyện …» was offered «Bệnh Viện, tỉnh
    Hưng Yên (trước đây là Bệnh Viện, huyện …)» as the better writing."""
    client = await at(router, missing("noi_dang_ky_khai_sinh"))
    assert (await cursor(router, client)).field_id == "noi_dang_ky_khai_sinh"
    await client.send(typed)
    said = client.texts()
    assert (MISSING_COMMUNE in said) is commune_missing
    assert INSTITUTION in said
    assert "Dùng cách ghi đề xuất" not in said  # no rewriting that keeps the hospital
    assert (await dossier(router, client)).answers["noi_dang_ky_khai_sinh"] == typed


async def test_a_bare_province_and_a_hospital_get_the_same_missing_commune(
    router: Router,
) -> None:
    """The class: a place with no xã/phường is asked for it, however it is named."""
    client = await at(router, missing("noi_dang_ky_khai_sinh"))
    await client.send("Hà Nội")
    assert MISSING_COMMUNE in client.texts()
    assert INSTITUTION not in client.texts()


async def test_a_relatives_birthplace_at_a_hospital_is_asked_its_commune_too(
    router: Router,
) -> None:
    sample = load_sample("a")
    facts = tuple(sample.relatives[4])  # the father
    client = await at(router, missing(keep=5, relatives={4: facts[facts.index("noi_sinh") :]}))
    assert (await cursor(router, client)).field_id == "noi_sinh"
    await client.send("BV Phụ sản Hà Nội")
    assert MISSING_COMMUNE in client.texts()
    assert INSTITUTION in client.texts()
