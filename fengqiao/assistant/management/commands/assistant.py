"""``fengqiao assistant import-laws DIR | import-kb FILE | ask --jsonl | screen --jsonl | eval``."""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from fengqiao.assistant import evaluation, realdata, screen_cli, services
from fengqiao.core.errors import ServiceError


class Command(BaseCommand):
    help = "智能助手：导入法规和标准答案、批量问答、群消息筛查、效果评估"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("import-laws", help="导入法规 Markdown 目录（可重复执行）")
        p.add_argument("directory")
        p.add_argument("--workers", type=int, default=None)
        p = sub.add_parser("import-kb", help="导入标准答案 JSONL（同 id 更新）")
        p.add_argument("file")
        p = sub.add_parser("ask", help="从标准输入逐行读 {id, question}，逐行输出答案")
        p.add_argument("--jsonl", action="store_true", required=True)
        p = sub.add_parser("screen", help="从标准输入逐行读 {id, text}，逐行输出筛查结果")
        p.add_argument("--jsonl", action="store_true", required=True)
        p = sub.add_parser(
            "eval", help="在公开真实数据的测试部分（及 data/eval 评测集）上报告命中率和筛查准确率"
        )
        p.add_argument("--data", default=None, help="公开数据目录（含 training/ 与 laws/）")
        p.add_argument("--cache", default=None, help="全量法条索引缓存目录")
        p.add_argument("--part", default="test", choices=["test", "tuning"])
        p.add_argument("--only", default="", help="只评 citations,answers,screening 中的几项")
        sub.add_parser("reindex", help="按数据库重建法条索引")
        p = sub.add_parser(
            "learn", help="由 law.jsonl 的调优部分学习法规先验、问题记忆、重排序权重和阈值"
        )
        p.add_argument("--data", default=None, help="公开数据目录（含 training/ 与 laws/）")
        p.add_argument("--cache", default=None)
        p = sub.add_parser("embed", help="在前台继续嵌入法条（可中断、可续）")
        p.add_argument("--seconds", type=float, default=None)
        sub.add_parser("index-status", help="显示法条导入与向量化进度")
        p = sub.add_parser(
            "train-screener",
            help="由公开数据（及 screen_train.tsv）构建筛查模型文件（同数据同种子结果相同）",
        )
        p.add_argument(
            "--data", default=None, help="公开数据 training 目录；省略则只用 screen_train.tsv"
        )
        p.add_argument("--seed", type=int, default=None)
        p.add_argument("--out", default=None, help="默认 $FENGQIAO_HOME/assistant/screener.npz")
        p.add_argument("--for-evaluation", action="store_true", help="留出测试部分（评测用）")

    def handle(self, *args, action, **options):
        try:
            getattr(self, "do_" + action.replace("-", "_"))(**options)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc

    # --------------------------------------------------------------------------------------------
    def do_import_laws(self, directory, workers=None, **_):
        from fengqiao.assistant import indexing

        result = services.import_laws(directory, workers=workers)
        indexing.start_law_embedding()  # the worker embeds the articles in the background
        self.stdout.write(
            f"已导入 {result['instruments']} 部法规、{result['articles']} 条，并已重建索引"
        )

    def do_import_kb(self, file, **_):
        try:
            with open(file, "rb") as fh:
                results = services.import_kb_lines(fh, actor=None, reindex="now")
        except OSError as exc:
            raise CommandError(f"无法读取文件：{exc}") from exc
        errors = [r for r in results if r["status"] == "error"]
        for r in errors:
            self.stderr.write(f"第{r['line']}行：{r['error']}")
        ok = len(results) - len(errors)
        self.stdout.write(
            f"成功 {ok} 条（新增 {sum(r['status'] == 'created' for r in results)}），错误 {len(errors)} 条"
        )

    def do_reindex(self, **_):
        self.stdout.write(f"已索引 {services.rebuild_law_index()} 条法条")

    def do_learn(self, data=None, cache=None, **_):
        import datetime as dt

        from django.conf import settings

        from fengqiao.assistant import learned
        from fengqiao.assistant.engine import Assistant

        data = Path(data) if data else realdata.shared_data_dir()
        if data is None:
            raise CommandError("找不到公开数据目录（--data）")
        cache = Path(cache) if cache else Path(settings.FENGQIAO_HOME) / "assistant" / "eval"
        index = realdata.corpus_index(data / "laws", cache / "laws")
        today = dt.date.today()
        result = learned.build(
            data / "training",
            lambda entries, lrn: Assistant(entries, index, today, learned=lrn),
        )
        self.stdout.write(json.dumps(result, ensure_ascii=False))

    def do_embed(self, seconds=None, **_):
        from fengqiao.assistant import indexing

        indexing.start_law_embedding(enqueue=False)
        self.stdout.write(json.dumps(indexing.embed_laws_step(seconds or 1e9), ensure_ascii=False))

    def do_index_status(self, **_):
        from fengqiao.assistant import indexing

        self.stdout.write(json.dumps(indexing.status(), ensure_ascii=False))

    def do_train_screener(self, data=None, seed=None, out=None, for_evaluation=False, **_):
        from django.conf import settings

        from fengqiao.assistant import screen_training

        out = Path(out) if out else Path(settings.FENGQIAO_HOME) / "assistant" / "screener.npz"
        meta = screen_training.build(
            out,
            Path(data) if data else None,
            seed if seed is not None else screen_training.DEFAULT_SEED,
            for_evaluation=for_evaluation,
        )
        self.stdout.write(f"已写入 {out}：{json.dumps(meta, ensure_ascii=False)}")

    def _lines(self):
        return screen_cli.read_lines(sys.stdin.buffer)

    def _emit(self, obj):
        self.stdout.write(json.dumps(obj, ensure_ascii=False))
        self.stdout.flush()

    def _error(self, n, obj, message):
        self.stderr.write(f"第{n}行：{message}")
        self._emit(screen_cli.error_object(n, obj, message))

    def do_ask(self, **_):
        for n, obj, error in self._lines():
            if error:
                self._error(n, obj, error)
                continue
            try:
                result = services.ask(obj.get("question"))
            except ServiceError as exc:
                self._error(n, obj, exc.message)
                continue
            self._emit(result.as_dict(obj.get("id")))

    def do_screen(self, **_):
        # ``fengqiao assistant screen --jsonl`` runs screen_cli.main without Django (fengqiao.cli)
        screen_cli.screen_lines(sys.stdin.buffer, services.screen_texts, self._emit, self._error)

    def do_eval(self, data=None, cache=None, part="test", only="", **_):
        from django.conf import settings

        data = Path(data) if data else realdata.shared_data_dir()
        if data is not None and (data / "training" / "law.jsonl").exists():
            cache = Path(cache) if cache else Path(settings.FENGQIAO_HOME) / "assistant" / "eval"
            report = evaluation.evaluate_all(data, cache, part=part, only=only)
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
            return
        report = {
            "questions": evaluation.evaluate_questions(services.get_assistant()),
            # written before tuning and never tuned on: the honest estimate
            "held_out": evaluation.evaluate_questions(
                services.get_assistant(), evaluation.HELD_OUT_FILE
            ),
            "screening": evaluation.evaluate_screening(),
        }
        self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
