"""Loading an assembly or one of its items for a page: 404 unless it belongs to the estate in the
address (the Flask tutorial's ``get_post(id)``), with every transition that is due made first, so
that no page shows an assembly in a state its clock has passed.  (``public_estate`` is the estates
package's, named here too for the pages that load both.)"""

from __future__ import annotations

from flask import abort

from webapp.assemblies import lifecycle
from webapp.assemblies.models import AgendaItem, Assembly
from webapp.core.db import db
from webapp.estates.access import in_estate, public_estate
from webapp.estates.models import Estate


def load_assembly(estate: Estate, assembly_id: int) -> Assembly:
    """The assembly of this estate (404 otherwise), with every transition that is due made."""
    assembly = in_estate(Assembly, assembly_id, estate)
    if lifecycle.advance(assembly):
        db.session.commit()
    return assembly


def load_item(assembly: Assembly, item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.assembly_id != assembly.id:
        abort(404)
    return item


def public_assembly(slug: str, assembly_id: int) -> tuple[Estate, Assembly]:
    estate = public_estate(slug)
    assembly = load_assembly(estate, assembly_id)
    if assembly.current_notice is None:
        abort(404)
    return estate, assembly
