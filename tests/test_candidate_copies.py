"""A place said to be "the same as" another — «như quê quán», «như trên», «giống nơi sinh»,
«cùng địa chỉ với bố» — at every address question, as a candidate types it: the copy named
is the one offered, written as the question it lands at reads an address (a residence has
no «(trước đây là …)» bracket of old names), and stored only once confirmed."""

from __future__ import annotations

import pytest

from handlers.router import Router
from tests.samples import load_sample
from tests.test_conversation import cursor, dossier
from tests.test_honest_conversation import at, missing, router

__all__ = ["router"]  # the fixture, shared

SAMPLE = load_sample("a")
HOMETOWN = SAMPLE.answers["que_quan"]  # "xã An Lạc, tỉnh Hưng Yên (trước đây là …)"
CURRENT = "xã An Lạc, tỉnh Hưng Yên"


@pytest.mark.parametrize(
    ("typed", "source"),
    [
        ("như quê quán", "mục (6) Quê quán"),
        ("nhu que quan a", "mục (6) Quê quán"),
        ("như quê", "mục (6) Quê quán"),
        ("như trên", "mục (6) Quê quán"),
        ("giống nơi sinh", "mục (5) Nơi đăng ký khai sinh"),
        ("như mục 5", "mục (5) Nơi đăng ký khai sinh"),
    ],
)
async def test_the_residence_copied_from_a_birthplace_reads_current_names(
    router: Router, typed: str, source: str
) -> None:
    """«như quê quán» at (7) offered the hometown with its «(trước đây là …)» bracket, which
    the residence must not have (HD 38: current names only); «giống nơi sinh» gave (6)."""
    client = await at(router, missing("thuong_tru"))
    assert (await cursor(router, client)).field_id == "thuong_tru"
    await client.send(typed)
    assert f"chép từ {source}" in client.texts()
    assert f"«{CURRENT}»" in client.texts()
    assert "trước đây" not in client.texts()
    await client.click("Ghi như vậy")
    assert (await dossier(router, client)).answers["thuong_tru"] == CURRENT


async def test_the_hometown_copied_from_the_birthplace_keeps_its_old_names(
    router: Router,
) -> None:
    """(6) is written as (5): the bracket of old names goes with it."""
    client = await at(router, missing("que_quan"))
    await client.send("giống nơi sinh")
    assert "chép từ mục (5) Nơi đăng ký khai sinh" in client.texts()
    await client.click("Ghi như vậy")
    assert (await dossier(router, client)).answers["que_quan"] == SAMPLE.answers["que_quan"]


@pytest.mark.parametrize(
    ("typed", "source", "copied"),
    [
        # the mother's own hometown, without its old names at her residence
        ("như quê quán", "Quê quán", "xã Bình Định, tỉnh Hưng Yên"),
        ("giong noi sinh", "Nơi sinh", "xã Bình Định, tỉnh Hưng Yên"),
        # another relative's residence, named by the relation
        ("cùng địa chỉ với bố", "Cha đẻ – Nơi ở hiện nay", "thôn Đông, xã An Lạc, tỉnh Hưng Yên"),
        ("ở với bố", "Cha đẻ – Nơi ở hiện nay", "thôn Đông, xã An Lạc, tỉnh Hưng Yên"),
        ("như bố", "Cha đẻ – Nơi ở hiện nay", "thôn Đông, xã An Lạc, tỉnh Hưng Yên"),
        # a relation by its label, not only by the words of the relatives' menu
        (
            "cùng địa chỉ với bà nội",
            "Bà nội – Nơi ở hiện nay",
            "thôn Đông, xã An Lạc, tỉnh Hưng Yên",
        ),
        ("giống cha đẻ", "Cha đẻ – Nơi ở hiện nay", "thôn Đông, xã An Lạc, tỉnh Hưng Yên"),
        ("ở với bố mẹ", "Cha đẻ – Nơi ở hiện nay", "thôn Đông, xã An Lạc, tỉnh Hưng Yên"),
        # the candidate's own (7), named by its name
        ("như nơi thường trú", "mục (7) Nơi cư trú – Nơi thường trú", SAMPLE.answers["thuong_tru"]),
    ],
)
async def test_a_relatives_residence_copied_from_a_named_place(
    router: Router, typed: str, source: str, copied: str
) -> None:
    """«như quê quán» at the mother's «Nơi ở hiện nay» was stored word for word; «cùng địa
    chỉ với bố» too."""
    facts = tuple(SAMPLE.relatives[5])
    client = await at(router, missing(keep=6, relatives={5: facts[facts.index("cu_tru") :]}))
    assert (await cursor(router, client)).field_id == "cu_tru"
    await client.send(typed)
    assert f"chép từ {source}:\n«{copied}»" in client.texts()
    assert "cu_tru" not in (await dossier(router, client)).relatives[5]  # not before "yes"
    await client.click("Ghi như vậy")
    assert (await dossier(router, client)).relatives[5]["cu_tru"] == copied


@pytest.mark.parametrize("typed", ["như nơi sinh", "cùng địa chỉ với bố"])
async def test_a_place_named_that_the_relative_has_not_is_not_the_candidates(
    router: Router, typed: str
) -> None:
    """A grandmother has no «Nơi sinh» in the booklet and no father is declared before her:
    «như nơi sinh» is not the candidate's (5); nothing is copied or stored, and it says so."""
    facts = tuple(SAMPLE.relatives[1])
    client = await at(router, missing(keep=2, relatives={1: facts[facts.index("cu_tru") :]}))
    await client.send(typed)
    assert f"Chưa có gì để chép theo «{typed}»" in client.texts()
    assert "cu_tru" not in (await dossier(router, client)).relatives[1]
    assert (await cursor(router, client)).field_id == "cu_tru"
