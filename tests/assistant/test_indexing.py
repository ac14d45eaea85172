"""Law import and embedding in the background worker, and what the staff pages say about it."""

import numpy as np
from django_tasks_db.models import DBTaskResult

from fengqiao.assistant import demo, indexing, realdata
from fengqiao.assistant.retrieval import DenseIndex


def test_staff_page_says_how_far_indexing_is(client, home, users, login_as):
    login_as(users["community_officer"])
    page = client.get("/assistant/answers/").content.decode()
    assert "尚未导入法规" in page
    dense = DenseIndex(home / "assistant" / "index")
    dense.start(200, np.arange(200), "x")
    dense._write_meta({**dense.meta, "done": 50})
    page = client.get("/assistant/answers/").content.decode()
    assert "语义向量 50 / 200 条（25.0%）" in page
    page = client.get("/assistant/answers/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "semantic vectors for 50 of 200 articles (25.0%)" in page


def test_demo_seeding_enqueues_the_law_import_for_the_worker(db, home, tmp_path, monkeypatch):
    (tmp_path / "shared" / "laws").mkdir(parents=True)
    monkeypatch.setenv("FENGQIAO_SHARED_DATA", str(tmp_path / "shared"))
    assert realdata.shared_data_dir() == tmp_path / "shared"
    assert demo.enqueue_law_import()
    task = DBTaskResult.objects.get()
    assert task.task_path.endswith("import_laws_from")
    assert indexing.status()["stage"] == "queued"


def test_the_worker_imports_indexes_and_prepares_the_embedding(db, home, tmp_path):
    from tests.assistant.test_realdata import LAW

    (tmp_path / "laws" / "民法商法").mkdir(parents=True)
    (tmp_path / "laws" / "民法商法" / "测试法(2020-01-01).md").write_text(LAW, encoding="utf-8")
    result = indexing.import_shared_laws(str(tmp_path / "laws"))
    assert result["articles"] == 3
    s = indexing.status()
    assert s["stage"] == "embedding" and s["dense"]["total"] == 3 and s["dense"]["done"] == 0
