"""Local searchd processes and indexer runs: start, stop, reload, wait until a generation is served.

The `sphinx-start`/`sphinx-stop` commands and the test fixtures use this; a production cluster is
run by its own supervisor with the same configuration files.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from .config import CONFIG_FILE, Deployment, Node, node_folder


class ClusterError(RuntimeError):
    """searchd or indexer could not do what was asked; the message says why (Chinese)."""


def binary(name: str) -> str:
    """The path of a Sphinx program (searchd, indexer), or ClusterError."""
    found = shutil.which(name) or (f"/usr/bin/{name}" if os.access(f"/usr/bin/{name}", os.X_OK) else None)
    if not found:
        raise ClusterError(f"找不到 {name}：请先安装 Sphinx（apt-get install sphinxsearch）或 Manticore")
    return found


def available() -> bool:
    """Whether searchd and indexer are installed."""
    try:
        binary("searchd")
        binary("indexer")
    except ClusterError:
        return False
    return True


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """Ports free on the loopback interface right now (kept bound until all are chosen)."""
    socks, ports = [], []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind((host, 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


def config_path(root: Path, node: Node) -> Path:
    """A node's sphinx.conf."""
    return node_folder(root, node) / CONFIG_FILE


def pid_of(root: Path, node: Node) -> int | None:
    """The pid of a node's running searchd (from its pid file), or None."""
    try:
        pid = int((node_folder(root, node) / "searchd.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    # a recycled pid is not ours: check the command line names searchd
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return pid
    return pid if b"searchd" in cmdline else None


def listening(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts connections on host:port."""
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def start(root: Path, node: Node, detach: bool = True, timeout: float = 30.0) -> subprocess.Popen | None:
    """Start a node's searchd and wait until it accepts SphinxQL connections.

    detach=False keeps searchd in the foreground as our child (tests stop it by its Popen);
    detach=True lets it daemonize with its pid file (the `sphinx-start` command).
    """
    conf = config_path(root, node)
    folder = node_folder(root, node)
    if not conf.is_file():
        raise ClusterError(f"节点 {node.shard} 没有配置文件 {conf}：请先运行 report-search sphinx-config")
    cmd = [binary("searchd"), "--config", str(conf)]
    log = open(folder / "searchd.out", "ab")
    try:
        if detach:
            done = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, timeout=timeout)
            if done.returncode != 0:
                raise ClusterError(f"节点 {node.shard} 的 searchd 启动失败，详见 {folder / 'searchd.out'}")
            process = None
        else:
            process = subprocess.Popen([*cmd, "--nodetach"], stdout=log, stderr=subprocess.STDOUT,
                                       preexec_fn=_die_with_parent)
    finally:
        log.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ClusterError(f"节点 {node.shard} 的 searchd 退出了（代码 {process.returncode}），详见 {folder / 'searchd.log'}")
        if listening(node.host, node.port) and listening(node.host, node.api_port):
            return process
        time.sleep(0.05)
    if process is not None:
        stop_process(process)
    raise ClusterError(f"节点 {node.shard} 的 searchd 在 {timeout:.0f} 秒内没有开始监听 {node.address}")


def _die_with_parent() -> None:
    """In the child before exec: be sent SIGTERM when the starting process dies (Linux), so a test run
    killed outright leaves no searchd behind."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def stop_process(process: subprocess.Popen, timeout: float = 15.0) -> None:
    """Stop a searchd we started in the foreground (SIGTERM, then SIGKILL), resuming it if paused."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGCONT)
        process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)


def stop(root: Path, node: Node, timeout: float = 15.0) -> bool:
    """Stop a node's daemonized searchd by its pid file; False when it was not running."""
    pid = pid_of(root, node)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pid_of(root, node) is None:
            return True
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    return True


def reload(root: Path, node: Node) -> bool:
    """SIGHUP a running node: it re-reads its configuration, loading new indexes and dropping gone ones."""
    pid = pid_of(root, node)
    if pid is None:
        return False
    os.kill(pid, signal.SIGHUP)
    return True


def run_indexer(root: Path, node: Node, indexes: list[str], rotate: bool) -> float:
    """Build a node's indexes (with --rotate when its searchd runs); returns the seconds taken."""
    cmd = [binary("indexer"), "--config", str(config_path(root, node)), "--quiet", *indexes]
    if rotate:
        cmd.append("--rotate")
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    output = (done.stdout + done.stderr).strip()
    if done.returncode != 0 or "FATAL" in output or "ERROR" in output:
        raise ClusterError(f"节点 {node.shard} 的 indexer 失败：{output[-2000:]}")
    return time.perf_counter() - started


def wait_served(dep: Deployment, index: str, expected: int, timeout: float = 120.0) -> None:
    """Wait until every node answers `index` with all `expected` paragraphs (every shard loaded)."""
    import pymysql

    deadline = time.monotonic() + timeout
    pending = list(dep.nodes)
    last = ""
    while pending and time.monotonic() < deadline:
        node = pending[0]
        try:
            conn = pymysql.connect(host=node.host, port=node.port, connect_timeout=2, read_timeout=10, autocommit=True)
            try:
                with conn.cursor() as cur:
                    cur.execute(f"SELECT COUNT(*) FROM {index}")
                    row = cur.fetchone()
                    if row and int(row[0]) == expected:
                        pending.pop(0)
                        continue
                    last = f"{row[0] if row else 0} / {expected} 段"
            finally:
                conn.close()
        except pymysql.MySQLError as exc:
            last = str(exc)
        time.sleep(0.1)
    if pending:
        raise ClusterError(f"节点 {pending[0].shard}（{pending[0].address}）在 {timeout:.0f} 秒内没有提供 {index}：{last}")
