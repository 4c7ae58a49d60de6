import threading

import pytest

from facegan.files import atomic_write


def test_atomic_write_replaces_the_file_whole(tmp_path):
    path = tmp_path / "out.json"
    path.write_text("old")
    with atomic_write(path) as tmp:
        assert tmp.parent == tmp_path and tmp != path
        tmp.write_text("new")
        assert path.read_text() == "old"  # readers see the old file until the block ends
    assert path.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_one(tmp_path):
    path = tmp_path / "out.json"
    path.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(path) as tmp:
        tmp.write_text("half")
        raise RuntimeError("disk full")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_threads_writing_at_once_never_share_a_temporary_name(tmp_path):
    path, names, barrier = tmp_path / "out.txt", [], threading.Barrier(4)

    def write(i: int) -> None:
        with atomic_write(path) as tmp:
            names.append(tmp.name)
            tmp.write_text(str(i))
            barrier.wait()  # all four temporary files exist at once

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(names)) == 4
    assert path.read_text() in {"0", "1", "2", "3"}
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
