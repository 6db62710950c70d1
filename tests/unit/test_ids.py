"""Identifier generation."""

from __future__ import annotations

import os

from openprofiles.ids import new_profile_id


def test_profile_ids_are_time_ordered_hex_and_distinct() -> None:
    ids = [new_profile_id() for _ in range(5000)]  # several blocks of OS randomness
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 32 and int(i, 16) >= 0 and i == i.lower() for i in ids)
    assert [i[:12] for i in ids] == sorted(i[:12] for i in ids)


def test_a_forked_child_does_not_repeat_its_parents_ids() -> None:
    new_profile_id()  # the parent holds unused random hex now
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write, "".join(new_profile_id()[12:] for _ in range(3)).encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 1000).decode()
    os.close(read)
    os.close(write)
    mine = "".join(new_profile_id()[12:] for _ in range(3))
    assert len(child) == 60 and child != mine
