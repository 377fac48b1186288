"""An append-only Merkle log with RFC 6962 / RFC 9162 hashing, proofs and their verification.

Hashing (RFC 6962 §2.1): ``leaf = SHA-256(0x00 ‖ data)``, ``node = SHA-256(0x01 ‖ left ‖ right)``,
the tree over ``n`` leaves splits at the largest power of two smaller than ``n``; the empty tree's
root is ``SHA-256("")``.

Storage design, so that the millionth append costs what the first does:

* :class:`TreeState` — the *compact frontier*: the tree size and the roots of the perfect
  subtrees that make up the tree (one per set bit of the size, largest first; at most 64).
  It fits in one database row (:meth:`TreeState.to_bytes`, ≤ 8 + 64·32 bytes) and yields the
  root in O(log n) hashing with no reads.
* :class:`NodeStore` — where the hashes of *complete* subtrees live, keyed by
  ``(level, index)``: the node covering leaves ``[index·2^level, (index+1)·2^level)``.  A
  complete subtree never changes once its last leaf is in, so nodes are written once and
  never updated.  :func:`append` returns the O(log n) new nodes (amortised 2 per leaf) to
  store; a proof needs O(log n) reads, asked for in a single :meth:`NodeStore.get_nodes`
  call so that a database implementation answers it with one query.

Proof formats are exactly RFC 6962 §2.1.1 / §2.1.2 (= RFC 9162 §2.1.3 / §2.1.4): lists of
32-byte hashes; verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 and raises
:class:`ProofInvalid`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .encoding import hex_decode
from .errors import ProofInvalid, TreeError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 leaf hash: SHA-256(0x00 ‖ data)."""
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash: SHA-256(0x01 ‖ left ‖ right)."""
    return _sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


# --- the compact frontier ------------------------------------------------------------------


@dataclass(frozen=True)
class TreeState:
    """Size and frontier of a log: ``frontier[i]`` is the root of the i-th perfect subtree from
    the left, whose heights are the set bits of ``size`` from the highest down."""

    size: int = 0
    frontier: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.size, int) or self.size < 0:
            raise TreeError("tree size must be a non-negative integer")
        if len(self.frontier) != bin(self.size).count("1"):
            raise TreeError(f"a tree of size {self.size} has {bin(self.size).count('1')} frontier hashes, not {len(self.frontier)}")
        if any(len(h) != HASH_SIZE for h in self.frontier):
            raise TreeError("frontier hashes must be 32 bytes")

    def root(self) -> bytes:
        if not self.frontier:
            return EMPTY_ROOT
        acc = self.frontier[-1]
        for h in reversed(self.frontier[:-1]):
            acc = node_hash(h, acc)
        return acc

    def heights(self) -> list[int]:
        return [b for b in range(self.size.bit_length() - 1, -1, -1) if self.size >> b & 1]

    # Serialisation for a database row: 8-byte big-endian size, then the frontier hashes.
    def to_bytes(self) -> bytes:
        return self.size.to_bytes(8, "big") + b"".join(self.frontier)

    @classmethod
    def from_bytes(cls, data: bytes) -> TreeState:
        if len(data) < 8 or (len(data) - 8) % HASH_SIZE:
            raise TreeError("serialised tree state has a wrong length")
        size = int.from_bytes(data[:8], "big")
        hashes = tuple(data[i : i + HASH_SIZE] for i in range(8, len(data), HASH_SIZE))
        return cls(size, hashes)

    def to_json(self) -> dict[str, Any]:
        return {"size": self.size, "frontier": [h.hex() for h in self.frontier]}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> TreeState:
        try:
            return cls(obj["size"], tuple(hex_decode(h) for h in obj["frontier"]))
        except (KeyError, TypeError) as exc:
            raise TreeError("serialised tree state must be {size, frontier}") from exc


Node = tuple[int, int, bytes]  # (level, index, hash)


def append(state: TreeState, leaf: bytes) -> tuple[TreeState, list[Node]]:
    """Append one leaf *hash*; return the new state and the complete-subtree nodes to store.

    A pure function so that a database caller can run it inside its transaction: read the
    state row (``SELECT … FOR UPDATE``), call this, insert the nodes, update the row.
    """
    if len(leaf) != HASH_SIZE:
        raise TreeError("a leaf hash is 32 bytes")
    index = state.size
    nodes: list[Node] = [(0, index, leaf)]
    frontier = list(state.frontier)
    acc, level, i = leaf, 0, index
    while i & 1:  # each trailing 1 bit of the old size is a perfect subtree to merge with
        acc = node_hash(frontier.pop(), acc)
        i >>= 1
        level += 1
        nodes.append((level, i, acc))
    frontier.append(acc)
    return TreeState(index + 1, tuple(frontier)), nodes


# --- node storage --------------------------------------------------------------------------


class NodeStore(Protocol):
    """Storage of complete-subtree hashes keyed by (level, index).

    The web app implements this on a table ``(log_id, level, idx) → hash`` with a primary key;
    :class:`MemoryNodeStore` is the in-memory reference.
    """

    def get_nodes(self, keys: Sequence[tuple[int, int]]) -> list[bytes]:
        """Hashes for ``keys``, in order; raise ``KeyError`` if one is missing."""
        ...

    def put_nodes(self, nodes: Iterable[Node]) -> None:
        """Store new nodes.  A node is written once: its value never changes."""
        ...


class MemoryNodeStore:
    """A dict-backed :class:`NodeStore` that also counts reads and writes (for benchmarks)."""

    def __init__(self) -> None:
        self._nodes: dict[tuple[int, int], bytes] = {}
        self.reads = 0
        self.writes = 0

    def get_nodes(self, keys: Sequence[tuple[int, int]]) -> list[bytes]:
        self.reads += len(keys)
        nodes = self._nodes
        return [nodes[k] for k in keys]

    def put_nodes(self, nodes: Iterable[Node]) -> None:
        for level, index, h in nodes:
            self._nodes[(level, index)] = h
            self.writes += 1

    def __len__(self) -> int:
        return len(self._nodes)


# --- proofs from stored nodes --------------------------------------------------------------


def _range_keys(start: int, end: int) -> list[tuple[int, int]]:
    """The perfect aligned subtrees covering leaves [start, end), left to right.

    For every range an RFC 6962 proof asks about, the range's root is the right fold
    ``node(k0, node(k1, … node(k_{m-2}, k_{m-1})))`` of these subtrees' roots.
    """
    keys = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start:
            level = min(level, (start & -start).bit_length() - 1)
        keys.append((level, start >> level))
        start += 1 << level
    return keys


def _fold(hashes: Sequence[bytes]) -> bytes:
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Leaf ranges whose roots form the RFC 6962 audit path of ``index`` in a tree of ``size``."""
    if not 0 <= index < size:
        raise TreeError(f"leaf index {index} is not in a tree of size {size}")
    ranges = []
    start, n, m = 0, size, index
    while n > 1:
        k = _split(n)
        if m < k:
            ranges.append((start + k, start + n))
            n = k
        else:
            ranges.append((start, start + k))
            m -= k
            start += k
            n -= k
    ranges.reverse()  # PATH lists the deepest sibling first
    return ranges


def consistency_ranges(old: int, new: int) -> list[tuple[int, int]]:
    """Leaf ranges whose roots form the RFC 6962 consistency proof from ``old`` to ``new``."""
    if not 0 <= old <= new:
        raise TreeError(f"no consistency proof from size {old} to size {new}")
    if old == 0 or old == new:
        return []
    siblings = []
    start, n, m, whole = 0, new, old, True
    while m != n:
        k = _split(n)
        if m <= k:
            siblings.append((start + k, start + n))
            n = k
        else:
            siblings.append((start, start + k))
            m -= k
            start += k
            n -= k
            whole = False
    siblings.reverse()
    # SUBPROOF(m, D[m], false) contributes MTH(D[m]) itself; with b = true it contributes nothing.
    return siblings if whole else [(start, start + n)] + siblings


def hashes_for_ranges(store: NodeStore, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    """Roots of the given leaf ranges, read from ``store`` in one ``get_nodes`` call."""
    plans = [_range_keys(a, b) for a, b in ranges]
    wanted = list(dict.fromkeys(k for plan in plans for k in plan))
    try:
        found = dict(zip(wanted, store.get_nodes(wanted), strict=True))  # one hash per key, in order
    except KeyError as exc:
        raise TreeError(f"node store is missing node {exc.args[0] if exc.args else '?'}") from exc
    return [_fold([found[k] for k in plan]) for plan in plans]


def root_at(store: NodeStore, size: int) -> bytes:
    """The root of the tree's first ``size`` leaves, from stored nodes (O(log n) reads)."""
    if size == 0:
        return EMPTY_ROOT
    return hashes_for_ranges(store, [(0, size)])[0]


def inclusion_proof(store: NodeStore, index: int, size: int) -> list[bytes]:
    return hashes_for_ranges(store, inclusion_ranges(index, size))


def consistency_proof(store: NodeStore, old: int, new: int) -> list[bytes]:
    return hashes_for_ranges(store, consistency_ranges(old, new))


class MerkleLog:
    """A :class:`TreeState` plus a :class:`NodeStore`: the convenient object for in-memory use.

    (The web app keeps the state in a row and the nodes in a table and calls the module
    functions directly; this class is what tests, the verifier and synthetic bundles use.)
    """

    def __init__(self, store: NodeStore | None = None, state: TreeState | None = None) -> None:
        self.store = store if store is not None else MemoryNodeStore()
        self.state = state or TreeState()

    @property
    def size(self) -> int:
        return self.state.size

    def append_leaf_hash(self, leaf: bytes) -> int:
        index = self.state.size
        self.state, nodes = append(self.state, leaf)
        self.store.put_nodes(nodes)
        return index

    def append(self, data: bytes) -> int:
        return self.append_leaf_hash(leaf_hash(data))

    def extend_leaf_hashes(self, leaves: Iterable[bytes]) -> None:
        leaves = list(leaves)
        if self.state.size or set(map(len, leaves)) != {HASH_SIZE}:
            for leaf in leaves:
                self.append_leaf_hash(leaf)
            return
        # An empty log filled at once (the verifier's 100,000 leaves): one level at a time, the
        # same complete-subtree nodes and frontier as appending leaf by leaf, in a third of the time.
        levels = [leaves]
        while len(levels[-1]) > 1:
            below = levels[-1]
            levels.append([_sha256(b"\x01" + left + right).digest() for left, right in zip(below[0::2], below[1::2], strict=False)])
        self.store.put_nodes((level, index, h) for level, hashes in enumerate(levels) for index, h in enumerate(hashes))
        size, offset, frontier = len(leaves), 0, []
        for height in range(size.bit_length() - 1, -1, -1):
            if size >> height & 1:
                frontier.append(levels[height][offset >> height])
                offset += 1 << height
        self.state = TreeState(size, tuple(frontier))

    def root(self, size: int | None = None) -> bytes:
        if size is None or size == self.state.size:
            return self.state.root()
        if not 0 <= size <= self.state.size:
            raise TreeError(f"the log has {self.state.size} leaves, not {size}")
        return root_at(self.store, size)

    def leaf_hash(self, index: int) -> bytes:
        if not 0 <= index < self.state.size:
            raise TreeError(f"leaf index {index} is not in a tree of size {self.state.size}")
        return self.store.get_nodes([(0, index)])[0]

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        size = self.state.size if size is None else size
        if size > self.state.size:
            raise TreeError(f"the log has {self.state.size} leaves, not {size}")
        return inclusion_proof(self.store, index, size)

    def consistency_proof(self, old: int, new: int | None = None) -> list[bytes]:
        new = self.state.size if new is None else new
        if new > self.state.size:
            raise TreeError(f"the log has {self.state.size} leaves, not {new}")
        return consistency_proof(self.store, old, new)


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """Root over a list of leaf hashes (RFC 6962), one level at a time: neighbours are paired from
    the left and a last node without a partner goes up as it is, which builds the RFC's
    left-balanced tree (O(n) time; about twice as fast as appending leaf by leaf)."""
    level = list(leaf_hashes)
    if not level:
        return EMPTY_ROOT
    if set(map(len, level)) != {HASH_SIZE}:
        raise TreeError("a leaf hash is 32 bytes")
    while len(level) > 1:
        upper = [_sha256(b"\x01" + left + right).digest() for left, right in zip(level[0::2], level[1::2], strict=False)]
        if len(level) % 2:
            upper.append(level[-1])
        level = upper
    return level[0]


# --- verification (RFC 9162 §2.1.3.2 and §2.1.4.2) -----------------------------------------


def _check_hashes(proof: Sequence[bytes]) -> None:
    for h in proof:
        if not isinstance(h, (bytes, bytearray)) or len(h) != HASH_SIZE:
            raise ProofInvalid("every proof element must be a 32-byte hash")


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root an inclusion proof leads to (RFC 9162 §2.1.3.2 steps 1–5)."""
    if not 0 <= index < size:
        raise ProofInvalid(f"leaf index {index} is not in a tree of size {size}")
    if len(leaf) != HASH_SIZE:
        raise ProofInvalid("a leaf hash is 32 bytes")
    _check_hashes(proof)
    fn, sn, r = index, size - 1, bytes(leaf)
    for p in proof:
        if sn == 0:
            raise ProofInvalid("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofInvalid("inclusion proof is shorter than the tree is deep")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    """Raise :class:`ProofInvalid` unless ``leaf`` is at ``index`` in the tree (size, root)."""
    if root_from_inclusion_proof(index, size, leaf, proof) != root:
        raise ProofInvalid(f"inclusion proof of leaf {index} does not lead to the root of tree size {size}")


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> None:
    """Raise :class:`ProofInvalid` unless the tree (new, new_root) extends (old, old_root)."""
    if not 0 <= old <= new:
        raise ProofInvalid(f"a tree of size {old} cannot be extended to size {new}")
    _check_hashes(proof)
    if len(old_root) != HASH_SIZE or len(new_root) != HASH_SIZE:
        raise ProofInvalid("roots are 32-byte hashes")
    if old == new:
        if proof:
            raise ProofInvalid("a consistency proof between equal sizes must be empty")
        if old_root != new_root:
            raise ProofInvalid(f"two different roots for tree size {old}")
        return
    if old == 0:
        if proof:
            raise ProofInvalid("a consistency proof from the empty tree must be empty")
        return
    if not proof:
        raise ProofInvalid("consistency proof is empty")
    path = list(proof)
    if old & (old - 1) == 0:  # old is a power of two: its root is a node of the new tree
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofInvalid("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofInvalid("consistency proof is too short")
    if fr != old_root:
        raise ProofInvalid(f"consistency proof does not reproduce the root of tree size {old}")
    if sr != new_root:
        raise ProofInvalid(f"consistency proof does not reproduce the root of tree size {new}")
