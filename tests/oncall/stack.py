"""The desk as real processes for the process-level on-call tests and bench/paging.py: a database
(SQLite file), the task storage (SQLite, or a redis-server of its own on a free port), gunicorn for
the API and `guichet worker` processes; the world built by tests/oncall/stack_world.py."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.ops.procs import Child, child_env, free_port, port_open, wait_for

HERE = Path(__file__).resolve().parent


class Stack:
    def __init__(self, tmp: Path, storage: str = "sqlite", **overrides: str) -> None:
        self.tmp, self.storage = tmp, storage
        self.children: list[Child] = []
        self.redis: subprocess.Popen[bytes] | None = None
        env = {
            "GUICHET_TASKS": storage,
            "GUICHET_TIMER_POLL_SECONDS": "1",
            "LOG_LEVEL": "INFO",
            "GUICHET_BASE_URL": "http://127.0.0.1",
            **overrides,
        }
        if storage == "redis":
            port = free_port()
            binary = shutil.which("redis-server") or "/usr/bin/redis-server"
            self.redis = subprocess.Popen(
                [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            wait_for(lambda: port_open(port), 10, "redis-server")
            env |= {"REDIS_URL": f"redis://127.0.0.1:{port}/0", "GUICHET_TASKS_NAME": "stack"}
        else:
            env["GUICHET_TASKS_FILE"] = str(tmp / "tasks.sqlite3")
        self.env = child_env(tmp, **env)
        self._run([sys.executable, "-m", "guichet", "migrate", "-v0"])

    def _run(self, argv: list[str]) -> str:
        done = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=600, check=False)
        if done.returncode:
            raise RuntimeError(f"{argv} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def world(self, command: str, *args: object) -> dict:
        out = self._run([sys.executable, str(HERE / "stack_world.py"), command, *map(str, args)])
        return json.loads(out.strip().splitlines()[-1])

    def worker(self, name: str = "worker", *flags: str) -> Child:
        child = Child.guichet("worker", *flags, env=self.env, log=self.tmp / f"{name}.log")
        self.children.append(child)
        wait_for(lambda: "Timer poll every" in child.output(), 60, f"{name} to start", child)
        return child

    def web(self, workers: int = 2) -> str:
        port = free_port()
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "guichet.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "--access-logfile",
            "-",
        ]
        child = Child(argv, self.env, self.tmp / "web.log")
        self.children.append(child)
        wait_for(lambda: port_open(port), 60, "gunicorn", child)
        return f"http://127.0.0.1:{port}"

    def close(self) -> None:
        for child in self.children:
            child.kill_group()
        if self.redis is not None:
            self.redis.kill()
            self.redis.wait()


def wait_until(epoch: float) -> None:
    delay = epoch - time.time()
    if delay > 0:
        time.sleep(delay)
