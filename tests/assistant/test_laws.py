import datetime as dt

from fengqiao.assistant import laws


def test_chinese_numerals_round_trip():
    for text, value in [
        ("一", 1),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("一百零三", 103),
        ("一千零七十一", 1071),
        ("一千二百六十", 1260),
    ]:
        assert laws.cn_to_int(text) == value
        assert laws.int_to_cn(value) == text
    assert laws.article_label(133, 1) == "第一百三十三条之一"


def test_parse_article_with_suffix_and_paragraphs():
    text = "# 中华人民共和国测试法\n\n2020年1月1日 通过\n\n<!-- INFO END -->\n\n## 第一章 总则\n\n第一条 甲。\n\n第二款内容。\n\n### 第一节 细则\n\n第一条之一 乙。\n"
    inst = laws.parse_text(text, "测试法(2020-01-01).md", "行政法")
    assert inst.title == "中华人民共和国测试法"
    assert inst.version_date == dt.date(2020, 1, 1)
    assert [(a.number, a.suffix) for a in inst.articles] == [(1, 0), (1, 1)]
    assert "第二款内容" in inst.articles[0].text
    assert inst.articles[0].chapter == "第一章 总则"
    assert inst.articles[1].section == "第一节 细则"


def test_corpus_subset_dedupes_merges_and_marks_superseded(law_dir):
    corpus = laws.load_corpus(law_dir)
    titles = [i.title for i in corpus]
    # the same version in two folders is one instrument
    assert titles.count("中华人民共和国居民身份证法") == 1
    # the 民法典 split over files is one instrument with all articles of those parts
    civil = next(i for i in corpus if i.short_title == "民法典")
    assert civil.articles[0].number == 1 and civil.articles[-1].number == 462
    # an older version is superseded by the newer one in the corpus
    accounting = sorted(
        (i for i in corpus if i.short_title == "会计法"), key=lambda i: i.version_date
    )
    assert accounting[0].superseded_from == dt.date(2024, 6, 28)
    assert accounting[1].superseded_from is None
    # the known gap: the 2012 治安管理处罚法 is superseded from 2026-01-01
    police = next(i for i in corpus if i.short_title == "治安管理处罚法")
    assert police.superseded_from == dt.date(2026, 1, 1)
    assert police.is_superseded(dt.date(2026, 11, 23)) and not police.is_superseded(
        dt.date(2025, 12, 31)
    )
    assert len(police.articles) == 119
