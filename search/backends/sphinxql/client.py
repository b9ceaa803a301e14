"""A small thread-safe pool of PyMySQL connections to the nodes, and what a fault tells the user.

Any node can answer a whole query (each has the distributed index). The pool asks the first node
that is not marked down; a node that refuses a connection is marked down for a few seconds and the
next one is asked (its distributed index then reports the missing shard). Searchd reports a shard
that is down or slow as a warning on an otherwise good answer (`agent host:port: connect() failed`,
`query timed out`): the answer lacks that shard's paragraphs, so it is refused with a
`BackendError(partial=True)` naming the shard, never shown as if it were complete. A connection
that failed is closed, never reused; the next query opens a fresh one, so a node that comes back
is used again at once (recovery needs nothing but the node).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence

import pymysql
from pymysql.constants import CLIENT

from ..base import BackendError
from .config import Node, Timeouts

IDLE_PER_NODE = 8  # connections kept open per node between queries
DOWN_SECONDS = 2.0  # a node that refused a connection is skipped this long (unless every node is down)
# "index para_g3: agent 127.0.0.1:9309: connect() failed: errno=111, …" (Sphinx 2.2); an index name may
# follow the port ("agent host:port:para_g3_s1: …"), but never text with spaces or brackets such as
# "connect() failed", which is the detail.
_AGENT = re.compile(r"agent ([^\s:]+):(\d+)(?::[\w.-]+)?:\s*(.*)")


class _Fault(Exception):
    def __init__(self, node: Node, kind: str, detail: str):
        super().__init__(detail)
        self.node, self.kind, self.detail = node, kind, detail


class Pool:
    """Connections to the nodes of one deployment; `run` executes statements with failover."""

    def __init__(self, nodes: Sequence[Node], timeouts: Timeouts):
        self.nodes = list(nodes)
        self.timeouts = timeouts
        self._idle: dict[int, list[pymysql.connections.Connection]] = {n.shard: [] for n in self.nodes}
        self._down_until: dict[int, float] = {}
        self._lock = threading.Lock()
        self._by_api = {(n.host, n.api_port): n for n in self.nodes}

    # -- connections ------------------------------------------------------------------------------------
    def _connect(self, node: Node) -> pymysql.connections.Connection:
        return pymysql.connect(
            host=node.host, port=node.port, connect_timeout=self.timeouts.connect,
            read_timeout=self.timeouts.read, write_timeout=self.timeouts.read, autocommit=True,
            client_flag=CLIENT.MULTI_STATEMENTS, charset="utf8",
        )

    def _take(self, node: Node) -> tuple[pymysql.connections.Connection, bool]:
        with self._lock:
            idle = self._idle[node.shard]
            if idle:
                return idle.pop(), True
        try:
            return self._connect(node), False
        except pymysql.MySQLError as exc:
            raise _Fault(node, "connect", str(exc)) from exc

    def _give(self, node: Node, conn: pymysql.connections.Connection) -> None:
        with self._lock:
            idle = self._idle[node.shard]
            if len(idle) < IDLE_PER_NODE:
                idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        """Close every idle connection."""
        with self._lock:
            conns = [c for idle in self._idle.values() for c in idle]
            for idle in self._idle.values():
                idle.clear()
        for conn in conns:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - closing a dead socket
                pass

    def _order(self) -> list[Node]:
        now = time.monotonic()
        with self._lock:
            up = [n for n in self.nodes if self._down_until.get(n.shard, 0) <= now]
            down = [n for n in self.nodes if n not in up]
        return up + down  # every node is tried; the ones marked down last

    def _mark(self, node: Node, down: bool) -> None:
        with self._lock:
            if down:
                self._down_until[node.shard] = time.monotonic() + DOWN_SECONDS
            else:
                self._down_until.pop(node.shard, None)

    # -- queries ---------------------------------------------------------------------------------------
    def escape(self, text: str) -> str:
        """A SphinxQL string literal."""
        return "'" + pymysql.converters.escape_string(text) + "'"

    def run(self, statements: Sequence[str]) -> list[list[tuple]]:
        """Execute statements (one round trip) and return each one's rows; BackendError on any fault."""
        failures: list[_Fault] = []
        for node in self._order():
            try:
                results = self._run_on(node, statements)
            except _Fault as fault:
                failures.append(fault)
                if fault.kind == "connect":
                    self._mark(node, True)
                    continue  # another node can answer for the whole cluster
                raise self._error([fault]) from None
            self._mark(node, False)
            return results
        raise self._error(failures)

    def _run_on(self, node: Node, statements: Sequence[str]) -> list[list[tuple]]:
        for attempt in (0, 1):
            conn, reused = self._take(node)
            try:
                results, warned = self._execute(conn, statements)
                if warned:
                    warnings = self._warnings(conn)
                    self._give(node, conn)
                    raise self._partial(warnings)
                self._give(node, conn)
                return results
            except (pymysql.err.OperationalError, pymysql.err.InterfaceError) as exc:
                conn.close()
                code = exc.args[0] if exc.args else 0
                if reused and attempt == 0:
                    continue  # a pooled connection to a node that restarted: once more, freshly
                if code in (2003, 2006) and not reused:
                    raise _Fault(node, "connect", str(exc)) from exc
                raise _Fault(node, "timeout" if code == 2013 else "lost", str(exc)) from exc
            except pymysql.MySQLError as exc:  # an error searchd returned (unknown index …)
                self._give(node, conn)
                raise _Fault(node, "error", str(exc.args[-1] if exc.args else exc)) from exc
        raise AssertionError("unreachable")

    @staticmethod
    def _execute(conn: pymysql.connections.Connection, statements: Sequence[str]) -> tuple[list[list[tuple]], bool]:
        with conn.cursor() as cur:
            cur.execute(";\n".join(statements))
            results = [list(cur.fetchall())]
            warned = cur.warning_count > 0
            while cur.nextset():
                results.append(list(cur.fetchall()))
                warned = warned or cur.warning_count > 0
        return results, warned

    @staticmethod
    def _warnings(conn: pymysql.connections.Connection) -> list[str]:
        try:
            with conn.cursor() as cur:
                cur.execute("SHOW WARNINGS")
                return [str(row[-1]) for row in cur.fetchall()]
        except pymysql.MySQLError:
            return []

    def _partial(self, warnings: list[str]) -> BackendError:
        """The error for an answer some shards did not contribute to."""
        named: list[str] = []
        for text in warnings:
            m = _AGENT.search(text)
            if not m:
                continue
            node = self._by_api.get((m.group(1), int(m.group(2))))
            detail = m.group(3)
            if "timed out" in detail or "timeout" in detail:
                what = "响应超时"
            elif "connect" in detail:
                what = "无法连接"
            else:
                what = f"出错（{detail}）"
            where = f"分片 {node.shard}（{node.host}:{node.port}）" if node else f"节点 {m.group(1)}:{m.group(2)}"
            named.append(f"{where}{what}")
        if not named:
            detail = "；".join(warnings) or "未说明原因"
            return BackendError(f"检索集群的部分分片没有返回结果（{detail}），结果不完整，请稍后再试", partial=True)
        return BackendError(
            f"{'、'.join(dict.fromkeys(named))}，只有其余分片返回了结果；为免给出不完整的数字，本次检索未显示结果，请稍后再试",
            partial=True,
        )

    def _error(self, faults: list[_Fault]) -> BackendError:
        """The error when no node could answer (or the one asked failed)."""
        if all(f.kind == "connect" for f in faults):
            where = "、".join(f"分片 {f.node.shard}（{f.node.address}）" for f in faults)
            return BackendError(f"检索集群的所有节点都无法连接：{where}；请稍后再试", partial=False)
        fault = next(f for f in faults if f.kind != "connect")
        where = f"分片 {fault.node.shard}（{fault.node.address}）"
        if fault.kind == "timeout":
            return BackendError(f"{where}在 {self.timeouts.read:.0f} 秒内没有响应，没有得到结果；请稍后再试", partial=False)
        if fault.kind == "lost":
            return BackendError(f"与{where}的连接中断，没有得到结果；请稍后再试", partial=False)
        return BackendError(f"{where}拒绝了检索：{fault.detail}", partial=False)
