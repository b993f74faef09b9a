"""Generation and verification throughput; client overhead of the openai backend against an instant server.

Prints:
- composer descriptions per second, verifier checks per second, text-statistics cost;
- openai backend: prompt building (overlay + PNG + base64) per sample, then the client's
  overhead per request against a local server that answers at once (concurrency 1 and 8),
  and a cache hit;
- the mutation set's catch rate per error type.

Run: ``.venv/bin/python benchmarks/generation.py`` (``--quick`` for fewer samples).
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPLY = json.dumps({"modality": "A CT image.", "organs": "Organs.", "roi_analysis": "Regions.",
                    "texture": "Texture.", "relations": "Relations."})


class _Instant(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms Nagle/delayed-ACK stalls

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": "m",
                           "choices": [{"index": 0, "finish_reason": "stop",
                                        "message": {"role": "assistant", "content": REPLY}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(port_file: str) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Instant)
    server.daemon_threads = True
    Path(port_file).write_text(str(server.server_address[1]))
    server.serve_forever()


def _samples(count: int):
    from medtrinity.config import parse_config
    from medtrinity.pipeline import grounded_samples

    cases = max(1, count // 40)
    config = parse_config({"sources": [{"name": "ph", "reader": "phantom", "path": "phantom",
                                        "options": {"cases": cases}}], "knowledge": {"kb": "builtin"}})
    return list(grounded_samples(config))[:count]


def _rate(label: str, count: int, seconds: float, unit: str = "per second") -> None:
    print(f"{label:<52} {count / seconds:>10.1f} {unit}  ({count} in {seconds:.2f} s)")


def bench_composer(samples) -> None:
    from medtrinity.generation.backends import make_backend
    from medtrinity.quality.textstats import shard_text_stats
    from medtrinity.quality.verify import verify

    backend = make_backend("composer")
    started = time.perf_counter()
    for sample in samples:
        sample.description = backend.describe(sample)
    _rate("composer: descriptions", len(samples), time.perf_counter() - started)
    started = time.perf_counter()
    statuses = [verify(sample).status for sample in samples]
    _rate("verifier: descriptions checked", len(samples), time.perf_counter() - started)
    assert set(statuses) == {"pass"}, "composer output must pass the verifier"
    started = time.perf_counter()
    shard_text_stats(sample.description.text for sample in samples)
    _rate("text statistics: descriptions", len(samples), time.perf_counter() - started)


def bench_openai(samples) -> None:
    from medtrinity.generation.backends import make_backend
    from medtrinity.generation.prompt import build_messages

    started = time.perf_counter()
    for sample in samples:
        build_messages(sample)
    elapsed = time.perf_counter() - started
    label = "openai: prompt building (overlay, PNG, base64)"
    print(f"{label:<52} {1000 * elapsed / len(samples):>10.2f} ms per sample")

    with tempfile.TemporaryDirectory() as folder:
        port_file = Path(folder) / "port"
        process = subprocess.Popen([sys.executable, __file__, "--serve", str(port_file)])
        try:
            deadline = time.monotonic() + 10
            while not port_file.exists() or not port_file.read_text():
                if time.monotonic() > deadline:
                    raise RuntimeError("the instant server did not start")
                time.sleep(0.02)
            base_url = f"http://127.0.0.1:{int(port_file.read_text())}/v1"
            for concurrency in (1, 8):
                backend = make_backend("openai", {"base_url": base_url, "model": "m", "cache": False,
                                                  "max_concurrency": concurrency, "batch_size": len(samples)})
                backend.describe_batch(samples[:4])  # warm up
                started = time.perf_counter()
                results = backend.describe_batch(samples)
                elapsed = time.perf_counter() - started
                assert all(not isinstance(result, Exception) for result in results)
                print(f"{f'openai: per request, concurrency {concurrency} (incl. prompt)':<52} "
                      f"{1000 * elapsed / len(samples):>10.2f} ms   ({len(samples) / elapsed:.0f} requests/s)")
            cached = make_backend("openai", {"base_url": base_url, "model": "m", "cache_dir": folder + "/cache",
                                             "batch_size": len(samples)})
            cached.describe_batch(samples)
            started = time.perf_counter()
            cached.describe_batch(samples)
            elapsed = time.perf_counter() - started
            print(f"{'openai: cache hit (incl. prompt building)':<52} {1000 * elapsed / len(samples):>10.2f} ms")
        finally:
            process.terminate()
            process.wait(timeout=10)


def bench_mutations() -> None:
    from medtrinity.config import parse_config
    from medtrinity.datapaths import shared_data_dir
    from medtrinity.demo import demo_sources
    from medtrinity.generation.backends import make_backend
    from medtrinity.pipeline import grounded_samples
    from medtrinity.quality.facts import SampleFacts
    from medtrinity.quality.mutations import run_mutation_set
    from medtrinity.quality.verify import verify_text

    with tempfile.TemporaryDirectory() as folder:
        config = parse_config({"sources": demo_sources(Path(folder), shared_data_dir()),
                               "knowledge": {"kb": "builtin"}})
        backend = make_backend("composer")
        cases = []
        for sample in grounded_samples(config):
            description = backend.describe(sample)
            sample.description = description
            cases.append((sample.id, description.text, SampleFacts.from_sample(sample)))
    report = run_mutation_set(cases, verify_text)
    print(f"mutation set: {report['originals']} originals, {len(report['false_alarms'])} false alarms, "
          f"{report['caught']}/{report['planted']} planted errors caught ({100 * report['catch_rate']:.1f}%)")
    for name, counts in report["types"].items():
        print(f"  {name:<10} {counts['caught']:>4}/{counts['planted']:<4}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    samples = _samples(80 if args.quick else 200)
    bench_composer(samples)
    bench_openai(samples)
    bench_mutations()


if __name__ == "__main__":
    main()
