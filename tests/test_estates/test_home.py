"""The start page as staff see it after signing in."""

from __future__ import annotations


def test_a_supervisor_finds_their_estate_at_the_top_of_the_start_page(client, login, estate, staff):
    login("supervisor")
    page = client.get("/").get_data(as_text=True)
    mine = page.index(f'href="/e/{estate.slug}/"')
    assert mine < page.index('href="/rankings')  # above the public page, not at its foot
    assert mine < page.index("<h1")
