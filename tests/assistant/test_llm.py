"""The optional LLM backend against a tiny local fake OpenAI-compatible server."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from fengqiao.assistant import services


class FakeOpenAI(BaseHTTPRequestHandler):
    requests: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeOpenAI.requests.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
        )
        reply = {
            "choices": [
                {"message": {"role": "assistant", "content": "可以到派出所补领，电话13812345678。"}}
            ]
        }
        data = json.dumps(reply, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_llm(settings):
    server = HTTPServer(("127.0.0.1", 0), FakeOpenAI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeOpenAI.requests = []
    settings.FENGQIAO_ASSISTANT_LLM_URL = f"http://127.0.0.1:{server.server_port}/v1"
    settings.FENGQIAO_ASSISTANT_LLM_MODEL = "fake"
    settings.FENGQIAO_ASSISTANT_LLM_KEY = "k"
    yield FakeOpenAI
    server.shutdown()


def test_llm_composes_from_retrieved_passages_and_is_labelled(loaded, fake_llm):
    result = services.ask("身份证丢了怎么补办")
    sent = fake_llm.requests[0]
    assert sent["path"] == "/v1/chat/completions" and sent["auth"] == "Bearer k"
    user_message = sent["body"]["messages"][-1]["content"]
    assert "居民身份证法" in user_message and "身份证丢了怎么补办" in user_message
    assert result.answer.startswith("【以下内容由大模型") and "13812345678" not in result.answer
    assert result.as_dict()["ai_generated_by_llm"] is True
    assert result.citations  # citations stay those retrieved


def test_llm_failure_falls_back(loaded, settings):
    settings.FENGQIAO_ASSISTANT_LLM_URL = "http://127.0.0.1:9/v1"  # nothing listens there
    result = services.ask("身份证丢了怎么补办")
    assert result.source == "kb" and "大模型" not in result.answer


def test_llm_off_by_default(loaded):
    assert "ai_generated_by_llm" not in services.ask("身份证丢了怎么补办").as_dict()
