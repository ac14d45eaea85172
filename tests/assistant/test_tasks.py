"""Background indexing: staff imports leave the index to the worker; the CLI stays synchronous."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from fengqiao.assistant import retrieval, services

LINES = [
    {
        "id": "bg-1",
        "category": "测试/后台",
        "question": "垃圾分类投放点在哪里",
        "answer": "在小区东门。",
    },
    {"id": "bg-2", "category": "测试/后台", "question": "快递柜坏了找谁", "answer": "找物业。"},
]


def _jsonl():
    body = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in LINES).encode()
    return SimpleUploadedFile("answers.jsonl", body)


# The worker closes its database connection when it stops: these tests run outside a test transaction.
@pytest.mark.django_db(transaction=True)
def test_staff_import_leaves_the_index_to_the_worker(
    client, home, county, users, login_as, django_capture_on_commit_callbacks, monkeypatch
):
    login_as(users["community_officer"])
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/assistant/answers/import/", {"file": _jsonl()})
    assert r.status_code == 302
    [queued] = DBTaskResult.objects.all()
    assert queued.task_path == "fengqiao.assistant.tasks.rebuild_answer_index"
    assert queued.status == "READY"
    assert not (home / "assistant" / "index" / "kb.entries.json").exists()

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    queued.refresh_from_db()
    assert queued.status == "SUCCESSFUL"
    saved = json.loads((home / "assistant" / "index" / "kb.entries.json").read_text())
    assert [e["key"] for e in saved["entries"]] == ["bg-1", "bg-2"]

    # The web process now uses the worker's index and builds nothing itself.
    services._state.clear()

    def no_build(self, entries):
        raise AssertionError("the answer index was built in the request")

    monkeypatch.setattr(retrieval.KBIndex, "__init__", no_build)
    result = services.ask("快递柜坏掉了应该找谁")
    assert result.source == "kb" and result.kb_key == "bg-2"


def test_saved_index_ranks_like_a_fresh_one(loaded):
    services.rebuild_answer_index()
    stamp = services._kb_stamp()
    saved = retrieval.KBIndex.load(services.index_dir(), stamp)
    fresh = retrieval.KBIndex(services._kb_entries())
    for q in ["身份证丢了怎么补办", "邻居装修太吵", "外国朋友来住要登记吗"]:
        assert saved.search(q) == fresh.search(q)
    # an edit makes the saved index stale: it is not used
    services.save_answer({"id": "new-1", "category": "测试", "answer": "新的答案"})
    assert retrieval.KBIndex.load(services.index_dir(), services._kb_stamp()) is None


def test_cli_import_kb_builds_the_index_before_returning(db, home, tmp_path):
    path = tmp_path / "kb.jsonl"
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in LINES))
    call_command("assistant", "import-kb", str(path))
    assert retrieval.KBIndex.load(services.index_dir(), services._kb_stamp()) is not None
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_law_import_in_the_background(db, home, law_dir, django_capture_on_commit_callbacks):
    services.import_laws(law_dir, background=True)
    assert not (home / "assistant" / "index" / "laws.docs.json").exists()
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    assert (home / "assistant" / "index" / "laws.docs.json").exists()
