"""The roll's part of an assembly's legal checks (registered in webapp.assemblies.hooks): voting
opens only on a frozen roll signed by as many supervisors as the estate requires."""

from __future__ import annotations

from webapp.rolls.verification import check_roll


def opening_blockers(assembly) -> list[tuple[str, str]]:
    if assembly.roll is None:
        return [("尚未指定已冻结并签署的选民名册", "no frozen and signed electoral roll is set for this assembly")]
    if not check_roll(assembly.roll).certified:
        return [
            (
                "选民名册尚未获得足够的监督员签名，或名册与签名不符",
                "the electoral roll is not fully signed, or does not match its signatures",
            )
        ]
    return []
