"""The SphinxQL engine on its own: the character mapping, MATCH() expressions, the configuration, and
a real two-node cluster under faults (a shard down, slow, back again) and re-exports while serving."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest

from search import BackendError, SearchRequest, open_index
from search.backends.base import Phrase
from search.backends.sphinxql.charmap import SENTINEL, CharMap
from search.backends.sphinxql.config import DEPLOY_FILE, read_deployment
from search.backends.sphinxql.matchexpr import FALSE, match_expression
from search.query import And, Not, Or

from .sphinx_cluster import require_sphinx, running_cluster, sample_cluster  # noqa: F401 - a fixture

# -- the mapping and the expressions (no cluster) -------------------------------------------------------


def test_ascii_punctuation_maps_to_full_width_and_back():
    cm = CharMap()
    text = "3+2+4 \"a\" (b)-c*d$e^f\\g|h!i@j=k/l~m<n>o&p:q;r?s,t.u#v%w'x_y`z{1}2[3]"
    mapped = cm.query(text)
    assert mapped is not None
    assert all(not (c.isascii() and not c.isalnum()) for c in mapped)
    assert len(mapped) == len(text)
    back = {v: chr(k) for k, v in cm.table.items()}
    assert "".join(back.get(c, c) for c in mapped) == text
    assert cm.query("a b") == "a\u3000b"


def test_characters_above_sphinx_range_get_private_codes():
    cm = CharMap.for_texts(["abc", "x\U00030000y\U000E0100"])
    assert set(cm.extra) == {"\U00030000", "\U000E0100"}
    assert all(0xE001 <= ord(v) <= 0xF8FF for v in cm.extra.values())
    assert cm.indexed("\U00030000") == SENTINEL + cm.extra["\U00030000"]
    assert cm.query("\U00031000") is None  # not in this generation: occurs nowhere


@pytest.mark.parametrize("tree, expected", [
    (None, None),
    (Phrase(""), None),
    (Phrase("发展"), '"发展"'),
    (Phrase("发"), "发"),
    (Phrase('a"b'), '"a＂b"'),
    (And((Phrase("a"), Phrase("bc"))), '(a "bc")'),
    (Or((Phrase("a"), Phrase("bc"))), '(a | "bc")'),
    (Not(Phrase("ab")), f'({SENTINEL} -"ab")'),
    (And((Not(Phrase("a")), Not(Phrase("b")))), f"({SENTINEL} -a -b)"),
    (And((Phrase("x"), Not(Or((Phrase("a"), Phrase("b")))))), "(x -(a | b))"),
    (Or((Phrase("x"), Not(Phrase("a")))), f"(x | ({SENTINEL} -a))"),
    (Not(Phrase("")), FALSE),
    (Phrase("\U00031000"), FALSE),
    (Or((Phrase("\U00031000"), Phrase("ab"))), '"ab"'),
    (And((Not(Phrase("\U00031000")), Phrase("ab"))), '"ab"'),
    (Not(Phrase("\U00031000")), None),
])
def test_match_expressions(tree, expected):
    assert match_expression(tree, CharMap()) == expected


@pytest.mark.parametrize("warning, expected", [
    # Sphinx 2.2.11's texts, as searchd writes them
    ("index para_g1: agent 127.0.0.1:23109: connect() failed: errno=111, Operation now in progress",
     "分片 1（127.0.0.1:23108）无法连接"),
    ("index para_g1: agent 127.0.0.1:23109: connect() timed out", "分片 1（127.0.0.1:23108）响应超时"),
    ("index para_g1: agent 127.0.0.1:23107: query timed out", "分片 0（127.0.0.1:23106）响应超时"),
    ("agent 127.0.0.1:23109:para_g1_s1: query timed out", "分片 1（127.0.0.1:23108）响应超时"),
    ("index para_g1: agent 127.0.0.1:23109: remote error: bad things", "分片 1（127.0.0.1:23108）出错（remote error: bad things）"),
    ("index para_g1: agent 10.0.0.9:9312: connect() failed: errno=113", "节点 10.0.0.9:9312无法连接"),
])
def test_a_shard_warning_names_the_shard_and_what_happened(warning, expected):
    from search.backends.sphinxql.client import Pool
    from search.backends.sphinxql.config import Timeouts, make_nodes

    err = Pool(make_nodes(2, "127.0.0.1", 23106), Timeouts())._partial([warning])
    assert err.partial and err.message.startswith(expected + "，只有其余分片返回了结果"), err.message


# -- a real cluster -----------------------------------------------------------------------------------------

@pytest.fixture()
def fault_cluster(sample_index: Path, tmp_path: Path):
    """A cluster of its own (these tests stop and pause nodes)."""
    require_sphinx()
    with running_cluster(sample_index, tmp_path / "deploy") as running:
        yield running


def test_configuration_has_a_distributed_index_with_an_agent_per_other_shard(sample_cluster):
    dep = read_deployment(sample_cluster.root / DEPLOY_FILE)
    for node in dep.nodes:
        conf = (sample_cluster.root / f"node-{node.shard}" / "sphinx.conf").read_text(encoding="utf-8")
        assert "type = distributed" in conf and f"local = para_g{dep.current.seq}_s{node.shard}" in conf
        others = [n for n in dep.nodes if n.shard != node.shard]
        for other in others:
            assert f"agent = {other.host}:{other.api_port}:para_g{dep.current.seq}_s{other.shard}" in conf
        for line in ("ngram_len = 1", "dict = keywords", "min_word_len = 1"):
            assert line in conf
        assert "morphology" not in conf and "stopwords" not in conf


REQUESTS = [SearchRequest(q="发展"), SearchRequest(q='"新质生产力"', sort="newest"), SearchRequest(q="-发展", page=3)]


# two filtered facet fields: three WHERE clauses, three round trips side by side
FILTERED = SearchRequest.make(q="改革", filters={"province": ["江苏"], "type": ["政府工作报告"]})


def _answers(searcher) -> list:  # noqa: ANN001
    return [(r.total, [h.id for h in r.hits]) for r in (searcher.search(q) for q in REQUESTS)]


def _fresh(root: Path):  # noqa: ANN202 - a Searcher with no cached answers
    return open_index(root)


def test_a_shard_down_is_named_and_recovery_needs_nothing(fault_cluster, searcher):
    expected = _answers(searcher)
    assert _answers(_fresh(fault_cluster.root)) == expected
    sx = _fresh(fault_cluster.root)
    fault_cluster.stop(1)
    with pytest.raises(BackendError) as err:
        sx.search(SearchRequest(q="改革"))
    node = fault_cluster.node(1)
    assert f"分片 1（{node.host}:{node.port}）无法连接，只有其余分片返回了结果" in err.value.message, err.value.message
    assert err.value.partial and "errno" not in err.value.message
    # the attribute statements: totals and facets in round trips side by side (one per filter set), report pages
    for call in (sx.search, sx.reports):
        with pytest.raises(BackendError) as err:
            call(FILTERED)
        assert f"分片 1（{node.host}:{node.port}）无法连接" in err.value.message and err.value.partial, err.value.message
    fault_cluster.start(1)
    assert _answers(sx) == expected  # the same searcher, no reconnect by hand


def test_the_entry_node_down_fails_over_and_names_its_shard(fault_cluster, searcher):
    sx = _fresh(fault_cluster.root)
    sx.search(SearchRequest(q="发展"))
    fault_cluster.stop(0)
    with pytest.raises(BackendError) as err:
        sx.search(SearchRequest(q="改革"))
    node = fault_cluster.node(0)
    assert f"分片 0（{node.host}:{node.port}）无法连接，只有其余分片返回了结果" in err.value.message, err.value.message
    assert err.value.partial
    fault_cluster.start(0)
    assert _answers(sx) == _answers(searcher)


def test_every_node_down_says_so(fault_cluster):
    sx = _fresh(fault_cluster.root)
    fault_cluster.stop()
    with pytest.raises(BackendError) as err:
        sx.search(SearchRequest(q="改革"))
    assert not err.value.partial
    assert "分片 0" in err.value.message and "分片 1" in err.value.message and "无法连接" in err.value.message
    fault_cluster.start()
    assert sx.search(SearchRequest(q="改革")).total > 0


def test_a_slow_shard_times_out_with_its_name(fault_cluster, searcher):
    sx = _fresh(fault_cluster.root)
    fault_cluster.pause(1)
    try:
        started = time.monotonic()
        with pytest.raises(BackendError) as err:
            sx.search(SearchRequest(q="改革"))
        assert time.monotonic() - started < 10
        node = fault_cluster.node(1)
        assert f"分片 1（{node.host}:{node.port}）响应超时，只有其余分片返回了结果" in err.value.message, err.value.message
        assert err.value.partial
        started = time.monotonic()
        with pytest.raises(BackendError) as err:
            sx.search(FILTERED)
        assert time.monotonic() - started < 10
        assert f"分片 1（{node.host}:{node.port}）响应超时" in err.value.message and err.value.partial, err.value.message
    finally:
        fault_cluster.resume(1)
    assert _answers(sx) == _answers(searcher)


def test_reexport_while_serving_fails_no_search(fault_cluster, sample_index, searcher):
    expected = _answers(searcher)
    failures: list[BaseException] = []
    answers = 0
    stop = threading.Event()

    def search_loop() -> None:
        nonlocal answers
        sx = _fresh(fault_cluster.root)
        while not stop.is_set():
            try:
                for request in REQUESTS:
                    # a new page number each time: answers come from the cluster, not the cache
                    sx.search(SearchRequest(q=request.q, page=1 + answers % 50))
                got = _answers(_fresh(fault_cluster.root))
                if got != expected:
                    failures.append(AssertionError(f"different answer during re-export: {got}"))
                answers += 1
            except BaseException as exc:  # noqa: BLE001 - every failure is reported below
                failures.append(exc)

    threads = [threading.Thread(target=search_loop) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        generations = set()
        for _ in range(3):
            result = fault_cluster.redeploy(sample_index)
            assert result.rotated and result.switched
            generations.add(result.deployment.current.seq)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert not failures, failures[:3]
    assert answers >= 3 and len(generations) == 3
    assert _answers(_fresh(fault_cluster.root)) == expected


@pytest.fixture(scope="module")
def index_with_one_more_report(tmp_path_factory: pytest.TempPathFactory, signing_key: Path) -> Path:
    """The sample corpus plus one report sorted first ("000.txt"): 31 reports, every doc code shifted by one."""
    import shutil

    from search import build_index

    from .conftest import SAMPLE

    corpus = tmp_path_factory.mktemp("sample-plus-one") / "corpus"
    shutil.copytree(SAMPLE, corpus)
    (corpus / "000.txt").write_text(
        "2024年巴中市政府工作报告\n\n各位代表：\n\n巴中市今年要推动新质生产力发展，深化改革开放，加快发展。\n\n"
        "一、2024年工作安排\n\n今年要继续推动巴中市高质量发展，改革创新。\n",
        encoding="utf-8",
    )
    folder = corpus.parent / "index"
    summary = build_index([corpus], folder, manifest=corpus / "manifest.csv", progress=False, reuse=False)
    assert summary.documents == 31, summary
    return folder


def _expected(oracle, request: SearchRequest) -> tuple:  # noqa: ANN001 - what one export must answer
    from search.fields import FACETS

    filters = request.filter_dict()
    ordered = oracle.ordered(request.q, request.sort, request.mode, filters)
    start = (request.page - 1) * request.per_page
    hits = tuple(
        (pid, oracle.by_id[pid].doc.doc_id, oracle.by_id[pid].doc.title, oracle.by_id[pid].doc.province)
        for pid in ordered[start:start + request.per_page]
    )
    facets = tuple(sorted((name, v, c) for name in FACETS for v, c in oracle.facet(name, request.q, request.mode, filters).items()))
    return oracle.totals(request.q, request.mode, filters), hits, facets


def _got(result) -> tuple:  # noqa: ANN001
    from search.fields import FACETS

    hits = tuple((h.id, h.doc_id, h.document.title, h.document.province) for h in result.hits)
    facets = tuple(sorted(
        (name, f.value, (f.count, f.documents)) for name in FACETS for f in result.facets[name] if f.count
    ))
    return (result.total, result.documents), hits, facets


def test_reexports_with_other_reports_answer_each_search_from_one_export(
    fault_cluster, sample_index, index_with_one_more_report, oracle,
):
    """Exports of 30 and 31 reports alternate while threads search with filters: every answer (totals,
    facets, hits and the metadata they carry) is the oracle's answer over one of the two corpora, and
    no search fails — doc codes and rows of two exports are never mixed within one search."""
    import random

    from .oracle import Oracle, read_corpus

    plus = index_with_one_more_report.parent / "corpus"
    oracle31 = Oracle(read_corpus([plus], plus / "manifest.csv"))
    assert len(oracle31.documents) == 31 and len(oracle.documents) == 30
    requests = [
        SearchRequest.make(q=q, filters=f, sort=sort, page=page, per_page=per_page)
        for q in ("发展", "改革", "新质生产力", "-发展")
        for f in ({}, {"province": ["江苏"]}, {"city": ["常州"]}, {"type": ["政府工作报告"]})
        for sort, page, per_page in (("relevance", 1, 30), ("newest", 2, 7))
    ]
    expected = {r: (_expected(oracle, r), _expected(oracle31, r)) for r in requests}
    assert any(a != b for a, b in expected.values())
    failures: list = []
    answered = [0, 0]
    stop = threading.Event()

    def search_loop(seed: int) -> None:
        rng = random.Random(seed)
        sx = _fresh(fault_cluster.root)
        while not stop.is_set():
            request = rng.choice(requests)
            sx.clear_caches()  # every answer from the cluster
            try:
                got = _got(sx.search(request))
            except BaseException as exc:  # noqa: BLE001 - every failure is reported below
                failures.append((request, repr(exc)))
                continue
            if got not in expected[request]:
                failures.append((request, got[0], [expected[request][0][0], expected[request][1][0]]))
            else:
                answered[expected[request].index(got)] += 1

    threads = [threading.Thread(target=search_loop, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    try:
        for n in range(6):
            result = fault_cluster.redeploy(index_with_one_more_report if n % 2 == 0 else sample_index)
            assert result.switched and result.deployment.current.documents == (31 if n % 2 == 0 else 30)
            time.sleep(0.2)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert not failures, failures[:3]
    assert min(answered) > 0, answered  # both exports answered


def test_a_pinned_search_outlives_the_next_export_and_asks_to_retry_after_two(
    fault_cluster, sample_index, index_with_one_more_report, oracle,
):
    """A request pinned before an export still answers from its own export (searchd keeps the previous
    generation loaded); two exports later its indexes are gone and it says so, asking to retry."""
    request = SearchRequest.make(q="发展", filters={"province": ["江苏"]}, per_page=30)
    sx = _fresh(fault_cluster.root)
    with sx.backend.pin():
        assert _got(sx.search(request)) == _expected(oracle, request)
        fault_cluster.redeploy(index_with_one_more_report)
        sx.clear_caches()
        assert len(sx.backend.documents()) == 30
        assert _got(sx.search(request)) == _expected(oracle, request)
        fault_cluster.redeploy(sample_index)
        sx.clear_caches()
        with pytest.raises(BackendError) as err:
            sx.search(request)
        assert "请重试" in err.value.message and "第 1 版已卸载" in err.value.message
    assert _got(sx.search(request)) == _expected(oracle, request)
    assert sx.backend.generation().startswith("sphinx-g3-")


def _free_base(count: int) -> int:
    """A port base with `count` consecutive free loopback ports."""
    import socket

    from search.backends.sphinxql.cluster import free_ports

    for _ in range(50):
        base = free_ports(1)[0]
        if base + count >= 65535:
            continue
        try:
            socks = []
            for port in range(base, base + count):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
        return base
    raise RuntimeError("no free port range")


def test_sphinx_config_writes_n_shards_without_building(sample_index, tmp_path, oracle):
    from search.cli import main

    out = tmp_path / "three"
    assert main(["sphinx-config", "--index", str(sample_index), "--out", str(out), "--shards", "3", "--no-build"]) == 0
    dep = read_deployment(out / DEPLOY_FILE)
    assert dep.shards == 3 and dep.current.paragraphs == len(oracle.units)
    for node in dep.nodes:
        conf = (out / f"node-{node.shard}" / "sphinx.conf").read_text(encoding="utf-8")
        assert conf.count("\n    agent = ") == 2
        assert (out / "g1" / f"shard-{node.shard}.tsv").is_file()
    lines = sum(len((out / "g1" / f"shard-{s}.tsv").read_text(encoding="utf-8").splitlines()) for s in range(3))
    assert lines == len(oracle.units)
    # another shard count on the same folder is refused, not half-applied
    assert main(["sphinx-config", "--index", str(sample_index), "--out", str(out), "--shards", "2", "--no-build"]) == 2


def test_command_line_deploys_starts_answers_and_stops(sample_index, tmp_path, searcher, capsys):
    require_sphinx()
    from search.backends.sphinxql.cluster import pid_of
    from search.cli import main

    out = tmp_path / "cli"
    base = _free_base(4)
    assert main(["sphinx-config", "--index", str(sample_index), "--out", str(out), "--shards", "2",
                 "--port-base", str(base)]) == 0
    dep = read_deployment(out / DEPLOY_FILE)
    try:
        assert main(["sphinx-start", "--out", str(out)]) == 0
        assert all(pid_of(out, n) for n in dep.nodes)
        assert main(["sphinx-status", "--out", str(out)]) == 0
        assert "在线" in capsys.readouterr().out
        assert _answers(_fresh(out)) == _answers(searcher)
        assert main(["sphinx-config", "--index", str(sample_index), "--out", str(out)]) == 0  # rotate while up
        assert read_deployment(out / DEPLOY_FILE).current.seq == 2
        assert _answers(_fresh(out)) == _answers(searcher)
    finally:
        assert main(["sphinx-stop", "--out", str(out)]) == 0
    assert not any(pid_of(out, n) for n in dep.nodes)


def test_more_shards_than_reports_is_refused_with_a_message(sample_index, tmp_path, capsys):
    from search.cli import main

    out = tmp_path / "many"
    assert main(["sphinx-config", "--index", str(sample_index), "--out", str(out), "--shards", "31", "--no-build"]) == 2
    assert "少于分片数 31" in capsys.readouterr().err
    assert not (out / DEPLOY_FILE).exists()


def test_a_shard_down_is_a_clear_503_on_the_page_and_in_the_api_never_a_500(fault_cluster):
    from web import create_app

    app = create_app({"INDEX_DIR": str(fault_cluster.root), "TESTING": True})
    client = app.test_client()
    assert client.get("/search?q=改革").status_code == 200
    fault_cluster.stop(1)
    try:
        page = client.get("/search?q=发展改革")
        assert page.status_code == 503 and "分片 1" in page.get_data(as_text=True)
        assert "发展改革" in page.get_data(as_text=True)  # the query stays in the box
        api = client.get("/api/search?q=发展改革")
        assert api.status_code == 503 and api.get_json()["partial"] is True and "分片 1" in api.get_json()["error"]
    finally:
        fault_cluster.start(1)
    assert client.get("/search?q=发展改革").status_code == 200  # back without a restart


def _report(folder: Path, name: str, place: str, sentence: str) -> None:
    (folder / name).write_text(
        f"2024年{place}政府工作报告\n\n各位代表：\n\n{sentence}\n\n一、2024年工作安排\n\n今年要继续推动{place}高质量发展。\n",
        encoding="utf-8",
    )


def test_index_into_a_deployment_adds_replaces_and_deletes_reports(tmp_path, capsys):
    """`index PATH --backend DEPLOY` updates the embedded index the deployment comes from and switches
    the running cluster to a new export: an added report is found, a replaced one answers with its new
    text only, a deleted one is gone — and the cluster answers as the embedded index does."""
    require_sphinx()
    from search.cli import main

    corpus, embedded, out = tmp_path / "corpus", tmp_path / "ix", tmp_path / "deploy"
    corpus.mkdir()
    _report(corpus, "a.txt", "巴中市", "巴中市的第一句独有文字甲乙丙。")
    _report(corpus, "b.txt", "达州市", "达州市的第一句独有文字丁戊己。")
    assert main(["index", str(corpus), "--index", str(embedded), "--quiet", "--no-reuse"]) == 0
    assert main(["sphinx-config", "--index", str(embedded), "--out", str(out), "--shards", "2",
                 "--port-base", str(_free_base(4))]) == 0
    try:
        assert main(["sphinx-start", "--out", str(out)]) == 0

        def total(q: str) -> tuple[int, int]:
            request = SearchRequest(q=q)
            return _fresh(out).search(request).total, open_index(embedded).search(request).total

        _report(corpus, "c.txt", "广安市", "广安市新加的一句独有文字庚辛壬。")  # added
        _report(corpus, "a.txt", "巴中市", "巴中市改写后的一句独有文字癸子丑。")  # replaced
        (corpus / "b.txt").unlink()  # deleted
        capsys.readouterr()
        assert main(["index", str(corpus), "--backend", str(out), "--quiet", "--no-reuse"]) == 0
        printed = capsys.readouterr().out
        assert "新增 1，更新 1，删除 1" in printed and "第 2 版" in printed
        assert read_deployment(out / DEPLOY_FILE).current.documents == 2
        assert total("庚辛壬") == (1, 1)
        assert total("癸子丑") == (1, 1)
        assert total("甲乙丙") == (0, 0)
        assert total("丁戊己") == (0, 0)
    finally:
        main(["sphinx-stop", "--out", str(out)])


def test_index_into_a_folder_that_is_not_a_recorded_deployment_says_what_to_do(tmp_path, capsys):
    from search.backends.sphinxql.config import Deployment, write_deployment
    from search.cli import main

    out = tmp_path / "deploy"
    out.mkdir()
    write_deployment(out / DEPLOY_FILE, Deployment(nodes=[]))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _report(corpus, "a.txt", "巴中市", "巴中市的一句话。")
    assert main(["index", str(corpus), "--backend", str(out), "--quiet"]) == 2
    assert "sphinx-config --index" in capsys.readouterr().err
    assert not (out / "current").exists()


@pytest.mark.parametrize("command", [
    ["index", "corpus", "--backend", "sphinxql://127.0.0.1:23106/para", "--quiet", "--no-reuse"],
    ["index", "corpus", "--index=sphinxql://127.0.0.1:23106/para", "--quiet"],
    ["query", "发展", "--backend", "sphinxql://127.0.0.1:23106/para"],
    ["serve", "--backend", "mysql://127.0.0.1:9306"],
])
def test_a_url_for_the_backend_is_refused_naming_the_deployment_folder(command, tmp_path, monkeypatch, capsys):
    """--backend/--index take a folder; a URL used to be read as one ("sphinxql:/127.0.0.1:23106/para")
    and `index` silently built an embedded index there."""
    from search.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "corpus").mkdir()
    _report(tmp_path / "corpus", "a.txt", "巴中市", "巴中市的一句话。")
    with pytest.raises(SystemExit) as exit_:
        main(command)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "不接受网址" in err and "sphinx-config" in err and "部署文件夹" in err and "sphinxql.json" in err
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.txt", "corpus"]  # nothing written


# -- filters and facets as attributes ----------------------------------------------------------------------

def _recording(root: Path):  # noqa: ANN202 - (a Searcher over the cluster, the statements it sends)
    searcher = open_index(root)
    sent: list[str] = []
    pool = searcher.backend.pool
    run = pool.run

    def recorded(statements):  # noqa: ANN001, ANN202
        sent.extend(statements)
        return run(statements)

    pool.run = recorded
    return searcher, sent


def _counted_by_the_service(root: Path):  # noqa: ANN202 - a Searcher computing totals and facets from doc_counts
    searcher = open_index(root)
    searcher.backend.native_counts = False  # the instance only: the service then takes the per-report path
    return searcher


def _comparable(result):  # noqa: ANN001, ANN202
    import dataclasses

    return dataclasses.replace(result, elapsed_ms=0.0)


def test_filters_and_facets_reach_the_cluster_as_attributes_not_doc_lists(sample_cluster):
    """A filtered search sends `f_<field> IN (codes)` and `GROUP BY f_<field>`, never a doc IN list or a
    GROUP BY over every report, and answers as the per-report path of the service does."""
    searcher, sent = _recording(sample_cluster.root)
    reference = _counted_by_the_service(sample_cluster.root)
    catalog = searcher.catalog()
    requests = [
        SearchRequest.make(q="发展", filters={"province": ["江苏"], "level": catalog.values["level"][:2]}),
        SearchRequest.make(q="改革 OR 创新", filters={"year": ["2024"], "type": ["政府工作报告"]}, page=2, per_page=5),
        SearchRequest.make(q="养老服务", mode="words", filters={"city": ["常州"]}),
        SearchRequest.make(q='"新质生产力"', filters={"province": ["火星"]}),
    ]
    for request in requests:
        sent.clear()
        result = searcher.search(request)
        assert _comparable(result) == _comparable(reference.search(request)), request
        statements = [s for s in sent if "MATCH(" in s]
        assert statements, request
        assert not any("doc IN" in s or "doc NOT IN" in s for s in sent), sent
        assert not any("GROUP BY doc" in s for s in sent), sent
        for s in statements:
            if "GROUP BY" in s:
                assert " LIMIT " in s and "max_matches=" in s, s
        for name, _values in request.filters:
            if any(f.field == name and f.known for f in result.filters):
                assert any(f"f_{name} IN (" in s for s in statements), (name, sent)
                assert any(f"GROUP BY f_{name}" in s and f"f_{name} IN (" not in s for s in statements), (name, sent)
        assert all(n == 0 for n in (result.total, result.documents)) or any("COUNT(DISTINCT doc)" in s for s in statements)
        # the reports view: its totals and its page of reports under the same attribute conditions
        sent.clear()
        assert searcher.reports(request).reports == reference.reports(request).reports
        # (each report's best paragraph is asked of that one report: `doc IN (<its code>)`)
        assert not any(re.search(r"doc (NOT )?IN \((?!\d+\))", s) for s in sent), sent
        assert not any("GROUP BY doc" in s and "f_" not in s for s in sent if request.filters), sent
    # what is not a facet field stays a document list: title and county ("the text contains"), one report
    sent.clear()
    request = SearchRequest.make(q="发展", filters={"title": ["常州"], "province": ["江苏"]})
    assert _comparable(searcher.search(request)) == _comparable(reference.search(request))
    assert any("doc IN" in s and "f_province IN (" in s for s in sent), sent


@pytest.fixture(scope="module")
def many_values_cluster(tmp_path_factory: pytest.TempPathFactory, signing_key: Path):
    """30 reports of 30 cities and 30 years: facets with more than Sphinx's default 20 groups."""
    from search import build_index

    require_sphinx()
    folder = tmp_path_factory.mktemp("many-values")
    corpus = folder / "corpus"
    corpus.mkdir()
    cities = ("巴中 常州 苏州 无锡 南京 杭州 宁波 温州 合肥 芜湖 福州 厦门 南昌 济南 青岛 烟台 郑州 洛阳 武汉 宜昌 "
              "长沙 株洲 广州 深圳 南宁 桂林 成都 绵阳 贵阳 昆明").split()
    for i, city in enumerate(cities):
        year = 1996 + i
        (corpus / f"{i:03d}.txt").write_text(
            f"{year}年{city}市政府工作报告\n\n各位代表：\n\n{city}市今年要推动高质量发展，深化改革开放。\n\n"
            f"一、{year}年工作安排\n\n今年要继续推动{city}市高质量发展，改革创新。\n\n" + "发展" * (i % 5 + 1) + "经济。\n",
            encoding="utf-8",
        )
    index = folder / "index"
    assert build_index([corpus], index, progress=False, reuse=False).documents == 30
    with running_cluster(index, folder / "deploy") as running:
        yield index, running


def test_facets_with_more_than_20_values_totals_and_report_pages_are_exact(many_values_cluster):
    index, running = many_values_cluster
    embedded, sphinx, reference = open_index(index), open_index(running.root), _counted_by_the_service(running.root)
    catalog = sphinx.catalog()
    assert len(catalog.values["city"]) > 20 and len(catalog.values["year"]) > 20
    provinces = catalog.values["province"]
    requests = [
        SearchRequest.make(q=q, filters=f, mode=mode, sort=sort, page=page, per_page=per_page)
        for q in ("", "发展", '"改革"', "-改革", "经济 OR 创新")
        for f in ({}, {"province": provinces[:3]}, {"year": ["2000-2020"]}, {"city": ["苏州", "常州", "火星"]},
                  {"province": provinces[:5], "year": ["2010-"]}, {"title": ["州"]})
        for mode, sort, page, per_page in (("exact", "relevance", 1, 20), ("words", "oldest", 2, 7))
    ]
    longest = 0
    for request in requests:
        got = sphinx.search(request)
        assert _comparable(got) == _comparable(embedded.search(request)) == _comparable(reference.search(request)), request
        longest = max(longest, len(got.facets["city"]), len(got.facets["year"]))
        assert (got.total, got.documents) == (reference.search(request).total, reference.search(request).documents)
        for sort in ("relevance", "newest", "oldest"):
            r = SearchRequest.make(q=request.q, filters=request.filter_dict(), mode=request.mode, sort=sort,
                                   page=request.page, per_page=request.per_page)
            a, b = sphinx.reports(r), embedded.reports(r)
            assert (a.total, a.paragraphs, a.reports) == (b.total, b.paragraphs, b.reports), r
    assert longest >= 30  # every city (and an unknown one selected)
    # the backend's own counts against the defaults computed from doc_counts, facet by facet
    from search.backends.base import Backend, Filters, Phrase
    from search.fields import FACETS

    backend = sphinx.backend
    for tree in (Phrase("发展"), Phrase("市"), Phrase("不存在的短语")):
        for flt in (Filters(), Filters({"province": tuple(provinces[:4])}), Filters({"year": ()})):
            facets = {name: flt.without(name) for name in ("city", "year", "province")}
            assert backend.tally(tree, flt, facets) == Backend.tally(backend, tree, flt, facets)
            assert backend.summary(tree, flt) == Backend.summary(backend, tree, flt)
            for sort in ("relevance", "newest", "oldest"):
                for offset, limit in ((0, 7), (5, 20), (29, 5), (30, 5)):
                    assert backend.report_page(tree, flt, sort, offset, limit) == \
                        Backend.report_page(backend, tree, flt, sort, offset, limit), (tree, flt, sort, offset)
    # the profile fields are counted together (one GROUP BY f_profile); without profiles, each field alone;
    # an export without facet attributes (written before them) answers through doc_counts and doc lists
    gen = backend._refresh()  # noqa: SLF001
    tree, flt = Phrase("发展"), Filters({"year": tuple(catalog.values["year"][5:25])})
    facets = {name: flt.without(name) for name in FACETS}
    expected = Backend.tally(backend, tree, flt, facets)
    sent: list[str] = []
    run = backend.pool.run
    backend.pool.run = lambda statements: sent.extend(statements) or run(statements)
    assert backend.tally(tree, flt, facets) == expected
    assert sum("GROUP BY f_profile" in x for x in sent) == 1 and sum("GROUP BY f_year" in x for x in sent) == 1, sent
    profiles, gen.profiles = gen.profiles, None
    sent.clear()
    assert backend.tally(tree, flt, facets) == expected
    assert not any("f_profile" in x for x in sent) and len(sent) == len(FACETS), sent
    codes, gen.facet_codes = gen.facet_codes, None
    sent.clear()
    assert backend.tally(tree, flt, facets) == expected
    assert sent and all("GROUP BY doc" in x and "f_" not in x for x in sent), sent
    gen.profiles, gen.facet_codes = profiles, codes
