"""The Merkle log against RFC 6962 / Certificate Transparency vectors and an independent implementation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.errors import ProofInvalid, TreeError
from crypto.merkle import (
    EMPTY_ROOT,
    MemoryNodeStore,
    MerkleLog,
    TreeState,
    append,
    hashes_for_ranges,
    leaf_hash,
    node_hash,
    root_from_inclusion_proof,
    root_of,
    verify_consistency,
    verify_inclusion,
)

h = bytes.fromhex

# The classic Certificate Transparency test tree (google/certificate-transparency merkle tests,
# reused by trillian and transparency-dev/merkle proof/verify_test.go).
CT_LEAVES = [h(x) for x in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]]
CT_ROOTS = [
    h(x)
    for x in [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",  # size 0
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
]
# (leaf index, 0-based; tree size; audit path)
CT_INCLUSION = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CT_CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]


@pytest.fixture(scope="module")
def ct_log() -> MerkleLog:
    log = MerkleLog()
    for data in CT_LEAVES:
        log.append(data)
    return log


def test_hashing_primitives():
    assert CT_ROOTS[0] == EMPTY_ROOT
    assert leaf_hash(b"") == CT_ROOTS[1]
    assert node_hash(leaf_hash(b""), leaf_hash(b"\x00")) == CT_ROOTS[2]


def test_roots_match_rfc6962_vectors(ct_log):
    state = TreeState()
    assert state.root() == CT_ROOTS[0]
    for n, data in enumerate(CT_LEAVES, start=1):
        state, _ = append(state, leaf_hash(data))
        assert state.root() == CT_ROOTS[n], n
        assert ct_log.root(n) == CT_ROOTS[n], n  # from stored nodes, historical sizes
        assert root_of([leaf_hash(d) for d in CT_LEAVES[:n]]) == CT_ROOTS[n]


@pytest.mark.parametrize(("index", "size", "path"), CT_INCLUSION)
def test_inclusion_vectors(ct_log, index, size, path):
    proof = [h(x) for x in path]
    assert ct_log.inclusion_proof(index, size) == proof
    verify_inclusion(index, size, leaf_hash(CT_LEAVES[index]), proof, CT_ROOTS[size])


@pytest.mark.parametrize(("old", "new", "path"), CT_CONSISTENCY)
def test_consistency_vectors(ct_log, old, new, path):
    proof = [h(x) for x in path]
    assert ct_log.consistency_proof(old, new) == proof
    verify_consistency(old, new, CT_ROOTS[old], CT_ROOTS[new], proof)


def _corrupt_inclusion(index, size, leaf, proof, root):
    """The corruptions transparency-dev/merkle applies to every known-good inclusion proof."""
    some = h("abacaba000000000000000000000000000000000000000000060061e00123456")
    probes = [
        (index - 1, size, leaf, proof, root),
        (index + 1, size, leaf, proof, root),
        (index ^ 2, size, leaf, proof, root),
        (index, size * 2, leaf, proof, root),
        (index, size // 2, leaf, proof, root),
        (index, size, leaf_hash(b"WrongLeaf"), proof, root),
        (index, size, leaf, proof, EMPTY_ROOT),
        (index, size, leaf, proof, some),
        (index, size, leaf, proof + [root], root),
        (index, size, leaf, [root] + proof, root),
    ]
    for i in range(len(proof)):
        bad = list(proof)
        bad[i] = bytes([bad[i][0] ^ 8]) + bad[i][1:]
        probes.append((index, size, leaf, bad, root))
    if proof:
        probes.append((index, size, leaf, proof[:-1], root))
    if len(proof) > 1:
        probes.append((index, size, leaf, [proof[0], some] + proof[1:], root))
    return probes


@pytest.mark.parametrize(("index", "size", "path"), CT_INCLUSION[1:])
def test_corrupted_inclusion_proofs_fail(index, size, path):
    proof = [h(x) for x in path]
    for probe in _corrupt_inclusion(index, size, leaf_hash(CT_LEAVES[index]), proof, CT_ROOTS[size]):
        with pytest.raises(ProofInvalid):
            verify_inclusion(*probe[:3], probe[3], probe[4])


@pytest.mark.parametrize(("old", "new", "path"), CT_CONSISTENCY[1:])
def test_corrupted_consistency_proofs_fail(old, new, path):
    proof = [h(x) for x in path]
    r1, r2 = CT_ROOTS[old], CT_ROOTS[new]
    probes = [
        (old - 1, new, r1, r2, proof),
        (old + 1, new, r1, r2, proof),
        (old ^ 2, new, r1, r2, proof),
        (old, new * 2, r1, r2, proof),
        (old, new // 2, r1, r2, proof),
        (old, new, leaf_hash(b"x"), r2, proof),
        (old, new, r1, leaf_hash(b"x"), proof),
        (old, new, r2, r1, proof),
        (old, new, r1, r2, []),
        (old, new, r1, r2, proof + [r1]),
        (old, new, r1, r2, proof + [r2]),
        (old, new, r1, r2, [r1] + proof),
        (old, new, r1, r2, [r2] + proof),
        (old, new, r1, r2, [proof[0]] + proof),
        (old, new, r1, r2, proof[:-1]),
    ]
    for i in range(len(proof)):
        bad = list(proof)
        bad[i] = bytes([bad[i][0] ^ 16]) + bad[i][1:]
        probes.append((old, new, r1, r2, bad))
    for p in probes:
        if p[0] < 0 or p[1] < p[0]:
            continue
        with pytest.raises(ProofInvalid):
            verify_consistency(*p)


def test_trivial_consistency_cases():
    r = leaf_hash(b"x")
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    verify_consistency(0, 5, EMPTY_ROOT, r, [])
    verify_consistency(3, 3, r, r, [])
    for args, message in [
        ((3, 3, r, EMPTY_ROOT, []), "^two different roots for tree size 3$"),
        ((3, 3, r, r, [r]), "^a consistency proof between equal sizes must be empty$"),
        ((2, 1, r, r, []), "^a tree of size 2 cannot be extended to size 1$"),
        ((1, 2, r, r, []), "^consistency proof is empty$"),
        ((0, 2, EMPTY_ROOT, r, [r]), "^a consistency proof from the empty tree must be empty$"),
    ]:
        with pytest.raises(ProofInvalid, match=message):
            verify_consistency(*args)


def test_every_proof_in_every_small_tree_round_trips():
    log = MerkleLog()
    leaves = [leaf_hash(bytes([i, i * 7 % 256])) for i in range(70)]
    log.extend_leaf_hashes(leaves)
    for size in range(1, 71):
        root = root_of(leaves[:size])
        assert log.root(size) == root
        for i in range(size):
            verify_inclusion(i, size, leaves[i], log.inclusion_proof(i, size), root)
        for old in range(0, size + 1):
            verify_consistency(old, size, root_of(leaves[:old]), root, log.consistency_proof(old, size))


def test_append_stores_o_log_n_nodes_and_proofs_read_o_log_n():
    store = MemoryNodeStore()
    log = MerkleLog(store)
    for i in range(5000):
        before = store.writes
        log.append(i.to_bytes(4, "big"))
        assert store.writes - before <= 1 + 13  # 1 leaf + at most log2(5000) merges
    assert store.writes < 2 * 5000
    store.reads = 0
    log.inclusion_proof(1234)
    assert store.reads <= 2 * 13
    store.reads = 0
    log.consistency_proof(777)
    assert store.reads <= 2 * 13


def test_tree_state_serialises():
    state = TreeState()
    for i in range(11):
        state, _ = append(state, leaf_hash(bytes([i])))
    assert TreeState.from_bytes(state.to_bytes()) == state
    assert TreeState.from_json(state.to_json()) == state
    assert len(state.to_bytes()) == 8 + 3 * 32  # 11 = 0b1011
    with pytest.raises(TreeError, match="^serialised tree state has a wrong length$"):
        TreeState.from_bytes(state.to_bytes()[:-1])
    with pytest.raises(TreeError, match="^a tree of size 3 has 2 frontier hashes, not 1$"):
        TreeState(3, (leaf_hash(b""),))


def test_requests_out_of_range():
    log = MerkleLog()
    log.append(b"a")
    with pytest.raises(TreeError, match="^leaf index 1 is not in a tree of size 1$"):
        log.inclusion_proof(1)
    with pytest.raises(TreeError, match="^no consistency proof from size 2 to size 1$"):
        log.consistency_proof(2)
    with pytest.raises(TreeError, match="^the log has 1 leaves, not 2$"):
        log.consistency_proof(0, 2)
    with pytest.raises(TreeError, match="^the log has 1 leaves, not 2$"):
        log.inclusion_proof(0, 2)
    with pytest.raises(ProofInvalid, match="^leaf index 1 is not in a tree of size 1$"):
        root_from_inclusion_proof(1, 1, leaf_hash(b"a"), [])


pymerkle = pytest.importorskip("pymerkle", reason="the independent implementation (pymerkle) is a test extra")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(max_size=12), min_size=1, max_size=40), st.data())
def test_agrees_with_pymerkle(entries, data):
    """pymerkle (an independent RFC 9162 implementation on PyPI) agrees on roots and proofs."""
    theirs = pymerkle.InmemoryTree(algorithm="sha256")
    ours = MerkleLog()
    for e in entries:
        theirs.append_entry(e)
        ours.append(e)
    n = len(entries)
    for size in range(1, n + 1):
        assert theirs.get_root(size) == ours.root(size)
    size = data.draw(st.integers(1, n))
    index = data.draw(st.integers(0, size - 1))
    # pymerkle's path starts with the leaf itself, then the same audit path as RFC 6962.
    their_path = [bytes.fromhex(x) if isinstance(x, str) else x for x in theirs.prove_inclusion(index + 1, size).serialize()["path"]]
    assert their_path[1:] == ours.inclusion_proof(index, size)
    assert their_path[0] == leaf_hash(entries[index])
    old = data.draw(st.integers(1, size))
    cons = theirs.prove_consistency(old, size)
    pymerkle.verify_consistency(theirs.get_root(old), theirs.get_root(size), cons)
    verify_consistency(old, size, ours.root(old), ours.root(size), ours.consistency_proof(old, size))


# --- the log's own accessors ---------------------------------------------------------------


def test_append_returns_the_index_of_the_new_leaf():
    log = MerkleLog()
    assert [log.append(data) for data in CT_LEAVES[:3]] == [0, 1, 2]
    assert log.append_leaf_hash(leaf_hash(CT_LEAVES[3])) == 3
    assert log.size == 4
    assert log.root() == CT_ROOTS[4]


def test_leaf_hash_reads_back_each_stored_leaf(ct_log):
    for i, data in enumerate(CT_LEAVES):
        assert ct_log.leaf_hash(i) == leaf_hash(data)
    for bad in (8, 9, -1):
        with pytest.raises(TreeError, match=f"^leaf index {bad} is not in a tree of size 8$"):
            ct_log.leaf_hash(bad)
    with pytest.raises(TreeError, match="^leaf index 0 is not in a tree of size 0$"):
        MerkleLog().leaf_hash(0)


def test_root_of_size_zero_on_a_non_empty_log_is_the_empty_root(ct_log):
    assert ct_log.size == 8
    assert ct_log.root(0) == EMPTY_ROOT == CT_ROOTS[0]
    assert ct_log.root(8) == ct_log.root() == CT_ROOTS[8]
    for bad in (9, -1):
        with pytest.raises(TreeError, match=f"^the log has 8 leaves, not {bad}$"):
            ct_log.root(bad)


@pytest.mark.parametrize(
    ("size", "heights"),
    [
        (0, []),
        (1, [0]),
        (2, [1]),
        (3, [1, 0]),
        (8, [3]),
        (11, [3, 1, 0]),
        (2**63 + 5, [63, 2, 0]),
    ],
)
def test_tree_state_heights_are_the_set_bits_of_the_size_highest_first(size, heights):
    state = TreeState(size, tuple(bytes(32) for _ in heights))
    assert state.heights() == heights


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 300))
def test_each_frontier_hash_is_the_root_of_a_perfect_subtree_of_its_height(n):
    leaves = [leaf_hash(i.to_bytes(2, "big")) for i in range(n)]
    state = TreeState()
    for leaf in leaves:
        state, _ = append(state, leaf)
    heights = state.heights()
    assert len(heights) == len(state.frontier)
    assert sum(1 << h for h in heights) == n
    assert heights == sorted(set(heights), reverse=True)
    start = 0
    for h, node in zip(heights, state.frontier, strict=True):
        assert node == root_of(leaves[start : start + (1 << h)])
        start += 1 << h


# --- every refusal says which check failed -------------------------------------------------


def test_a_wrong_consistency_proof_says_which_check_failed():
    old, new, path = CT_CONSISTENCY[2]  # 6 → 8: 6 is not a power of two, so its root is not in the path
    proof = [h(x) for x in path]
    r6, r8 = CT_ROOTS[6], CT_ROOTS[8]
    cases = [
        ((old, new, r6, r8, proof + [r6]), "^consistency proof is too long$"),
        ((old, new, r6, r8, proof[:-1]), "^consistency proof is too short$"),
        ((old, new, leaf_hash(b"x"), r8, proof), "^consistency proof does not reproduce the root of tree size 6$"),
        ((old, new, r6, leaf_hash(b"x"), proof), "^consistency proof does not reproduce the root of tree size 8$"),
        ((old, new, r6[:31], r8, proof), "^roots are 32-byte hashes$"),
        ((old, new, r6, r8 + b"\x00", proof), "^roots are 32-byte hashes$"),
        ((old, new, r6, r8, proof[:1] + [proof[1][:31]] + proof[2:]), "^every proof element must be a 32-byte hash$"),
        ((old, new, r6, r8, proof[:1] + ["ab" * 16] + proof[2:]), "^every proof element must be a 32-byte hash$"),
        ((8, 6, r8, r6, proof), "^a tree of size 8 cannot be extended to size 6$"),
        ((-1, 6, r8, r6, []), "^a tree of size -1 cannot be extended to size 6$"),
    ]
    for args, message in cases:
        with pytest.raises(ProofInvalid, match=message):
            verify_consistency(*args)


def test_a_wrong_inclusion_proof_says_which_check_failed():
    index, size, path = CT_INCLUSION[2]  # leaf 5 of 8
    proof = [h(x) for x in path]
    leaf, root = leaf_hash(CT_LEAVES[index]), CT_ROOTS[size]
    cases = [
        ((index, size, leaf, proof + [root]), ProofInvalid, "^inclusion proof is longer than the tree is deep$"),
        ((index, size, leaf, proof[:-1]), ProofInvalid, "^inclusion proof is shorter than the tree is deep$"),
        ((index, size, leaf[:31], proof), ProofInvalid, "^a leaf hash is 32 bytes$"),
        ((index, size, leaf, [proof[0] + b"\x00"] + proof[1:]), ProofInvalid, "^every proof element must be a 32-byte hash$"),
        ((8, size, leaf, proof), ProofInvalid, "^leaf index 8 is not in a tree of size 8$"),
        ((-1, size, leaf, proof), ProofInvalid, "^leaf index -1 is not in a tree of size 8$"),
    ]
    for args, error, message in cases:
        with pytest.raises(error, match=message):
            root_from_inclusion_proof(*args)
    with pytest.raises(ProofInvalid, match="^inclusion proof of leaf 5 does not lead to the root of tree size 8$"):
        verify_inclusion(index, size, leaf, proof, CT_ROOTS[7])


def test_a_tree_state_refuses_impossible_values():
    with pytest.raises(TreeError, match="^tree size must be a non-negative integer$"):
        TreeState(-1, ())
    with pytest.raises(TreeError, match="^tree size must be a non-negative integer$"):
        TreeState("3", ())  # type: ignore[arg-type]
    with pytest.raises(TreeError, match="^frontier hashes must be 32 bytes$"):
        TreeState(1, (b"\x00" * 31,))
    with pytest.raises(TreeError, match="^a tree of size 2 has 1 frontier hashes, not 0$"):
        TreeState(2, ())
    with pytest.raises(TreeError, match="^a leaf hash is 32 bytes$"):
        append(TreeState(), b"not a hash")


def test_tree_state_bytes_and_json_edge_cases():
    empty = TreeState()
    assert empty.to_bytes() == bytes(8)
    assert TreeState.from_bytes(bytes(8)) == empty
    one = TreeState(1, (leaf_hash(b"a"),))
    assert one.to_bytes() == b"\x00" * 7 + b"\x01" + leaf_hash(b"a")
    assert TreeState.from_bytes(one.to_bytes()) == one
    for data in (b"", bytes(7), bytes(9), bytes(8 + 33)):
        with pytest.raises(TreeError, match="^serialised tree state has a wrong length$"):
            TreeState.from_bytes(data)
    assert TreeState.from_json({"size": 1, "frontier": [leaf_hash(b"a").hex()]}) == one
    for obj in ({"size": 1}, {"frontier": []}, None, {"size": 0, "frontier": None}):
        with pytest.raises(TreeError, match=r"^serialised tree state must be \{size, frontier\}$"):
            TreeState.from_json(obj)


def test_memory_node_store_counts_reads_and_writes():
    store = MemoryNodeStore()
    assert (store.reads, store.writes, len(store)) == (0, 0, 0)
    log = MerkleLog(store)
    log.append(b"a")  # leaf (0, 0)
    assert (store.writes, len(store)) == (1, 1)
    log.append(b"b")  # leaf (0, 1) and node (1, 0)
    assert (store.writes, len(store)) == (3, 3)
    assert store.reads == 0
    pair = node_hash(leaf_hash(b"a"), leaf_hash(b"b"))
    assert store.get_nodes([(0, 0), (0, 1), (1, 0)]) == [leaf_hash(b"a"), leaf_hash(b"b"), pair]
    assert store.reads == 3
    store.get_nodes([(0, 1)])
    assert store.reads == 4


def test_a_log_keeps_its_nodes_in_the_store_it_is_given():
    store = MemoryNodeStore()
    log = MerkleLog(store)
    log.append(b"x")
    assert log.store is store
    assert len(store) == 1
    again = MerkleLog(store, log.state)
    assert again.root() == log.root() == leaf_hash(b"x")
    assert again.inclusion_proof(0) == []


class _ForgetfulStore(MemoryNodeStore):
    def get_nodes(self, keys):
        raise KeyError()


def test_a_missing_node_is_named():
    log = MerkleLog()
    for data in CT_LEAVES[:3]:
        log.append(data)
    del log.store._nodes[(0, 2)]
    with pytest.raises(TreeError, match=r"^node store is missing node \(0, 2\)$"):
        log.inclusion_proof(0)
    with pytest.raises(TreeError, match=r"^node store is missing node \?$"):
        MerkleLog(_ForgetfulStore(), log.state).inclusion_proof(0)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**20), st.integers(1, 2**20))
def test_range_keys_are_the_aligned_perfect_subtrees_covering_the_range(start, length):
    """Each key (level, index) covers leaves [index·2^level, (index+1)·2^level); together, in order,
    they cover [start, end) exactly, and each is the largest aligned subtree that fits."""
    from crypto.merkle import _range_keys

    end = start + length
    at = start
    for level, index in _range_keys(start, end):
        assert index << level == at  # aligned, and contiguous with the previous key
        at += 1 << level
        assert at <= end
        # the largest: the next level up is either misaligned or runs past the end
        assert at - (1 << level) & ((2 << level) - 1) or at - (1 << level) + (2 << level) > end
    assert at == end


def test_roots_of_unaligned_ranges_fold_their_aligned_subtrees():
    log = MerkleLog()
    for i in range(8):
        log.append(bytes([i]))
    leaves = [leaf_hash(bytes([i])) for i in range(8)]
    # [1, 3) is leaf 1 then leaf 2; [3, 8) is leaf 3 then the perfect subtree of leaves 4–7.
    assert hashes_for_ranges(log.store, [(1, 3), (3, 8)]) == [
        node_hash(leaves[1], leaves[2]),
        node_hash(leaves[3], root_of(leaves[4:8])),
    ]
