"""The roll's part of an assembly's legal checks (registered in webapp.assemblies.hooks): voting
opens only on a frozen roll signed by as many supervisors as the estate requires."""

from __future__ import annotations

from webapp.rolls.verification import check_roll


def opening_blockers(assembly) -> list[tuple[str, str]]:
    if assembly.roll is None:
        return [("尚未指定已冻结并签署的表决名册", "no frozen and signed electoral roll is set for this assembly")]
    check = check_roll(assembly.roll)
    if check.certified:
        return []
    seq = assembly.roll.seq
    if not check.intact:
        return [
            (
                f"第 {seq} 号名册与监督员的签名不符：请运行完整性检查",
                f"roll no. {seq} does not match its signatures: run the integrity check",
            )
        ]
    n, required = len(check.signers), check.required
    return [
        (
            f"第 {seq} 号名册还差 {required - n} 个监督员签名（已有 {n} 个，需要 {required} 个）：监督员在“表决名册”页核对并签署",
            f"roll no. {seq} needs {required - n} more supervisor signature(s) ({n} of {required}): supervisors check and sign it "
            "on the roll page",
        )
    ]
