"""Router vs FastAPI + Mangum on the same routes: cold start, warm request time, package size.

    .venv/bin/python bench/bench_router.py [--runs 15] [--warm 3000] [--no-cold] [--no-size]

Cold start: a fresh Python process per run imports the handler and serves
one request (import + first request, timed inside the process so interpreter
start-up, equal for both, is left out). Warm: per-request time in one process
after a warm-up, the two implementations in alternating batches. Events carry
the headers API Gateway passes on from a browser. Both serve the request with
the same logic modules, so the difference is the framework. Package size: the
router's real asset (stacks/constructs/bundling.py, no CDK import) against the
same code plus FastAPI and Mangum. Targets (issue 4): cold <= 0.5x, warm <= 0.33x.

--validators: the cold start of a rejected request with the body validated by
common.schema (the router as it is), by msgspec, and by Powertools' own
validation (pydantic), each against FastAPI + Mangum in the same run
(bench/validator_peers.py; issue 12).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
LAMBDAS = ROOT / "lambdas"
PEER_REQUIREMENTS = ("fastapi==0.165.0", "mangum==0.22.0")
sys.path.insert(0, str(ROOT / "bench"))

from support import router_env  # noqa: E402

SCENARIOS = {
    "health": ("GET", "/health", None),
    "bad_ai_request": ("POST", "/v1/ai/route", {"prompt": 5, "type": "generation"}),
}

CHILD = r"""
import json, sys, time
sys.path[:0] = [{lambdas!r}, {bench!r}]
impl, method, path, body = {impl!r}, {method!r}, {path!r}, {body!r}
from_event = {event!r}
class Ctx:
    function_name = "router"; memory_limit_in_mb = 512; aws_request_id = "r"
    invoked_function_arn = "arn:aws:lambda:us-east-2:123456789012:function:router"
    def get_remaining_time_in_millis(self): return 29000
t0 = time.perf_counter()
if impl == "router":
    from router.handler import lambda_handler as handler
elif impl == "fastapi":
    from fastapi_peer import handler
else:
    import validator_peers
    handler = getattr(validator_peers, impl + "_handler")
t1 = time.perf_counter()
result = handler(from_event, Ctx())
t2 = time.perf_counter()
print(json.dumps({{"import": t1 - t0, "first": t2 - t1, "status": result["statusCode"]}}))
"""


# What API Gateway passes on from a browser call through the JWT authorizer: both
# frameworks copy and normalise every header, so a bare event would flatter both.
HEADERS = {
    "accept": "application/json, text/plain, */*",
    "accept-encoding": "gzip, deflate, br",
    "authorization": "Bearer " + "e" * 800,
    "content-type": "application/json",
    "host": "api.example.com",
    "origin": "https://app.example.com",
    "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36",
    "x-amzn-trace-id": "Root=1-67891233-abcdef012345678912345678",
    "x-forwarded-for": "203.0.113.1",
    "x-forwarded-port": "443",
    "x-forwarded-proto": "https",
}


def event(method: str, path: str, body: object | None) -> dict:
    headers = dict(HEADERS)
    ctx = {
        "accountId": "123456789012",
        "apiId": "api",
        "domainName": "api.example.com",
        "domainPrefix": "api",
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": "203.0.113.1",
            "userAgent": "bench",
        },
        "requestId": "r",
        "routeKey": f"{method} {path}",
        "stage": "$default",
        "time": "01/Jan/2026:00:00:00 +0000",
        "timeEpoch": 1767225600000,
        "authorizer": {"jwt": {"claims": {"sub": "bench"}, "scopes": None}},
    }
    ev = {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": ctx,
        "isBase64Encoded": False,
    }
    if body is not None:
        ev["body"] = json.dumps(body)
        headers["content-length"] = str(len(ev["body"]))
    return ev


def cold(impl: str, scenario: str) -> dict:
    method, path, body = SCENARIOS[scenario]
    code = CHILD.format(
        lambdas=str(LAMBDAS),
        bench=str(ROOT / "bench"),
        impl=impl,
        method=method,
        path=path,
        body=body,
        event=event(method, path, body),
    )
    env = {**os.environ, **router_env(), "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


WARM_BATCH = 50


def warm(scenario: str, n: int) -> dict[str, tuple[float, int]]:
    """Median per-request time and HTTP status of each implementation.

    Both run in this process in alternating batches, so a burst of load from
    elsewhere on the machine lands on both rather than on whichever ran then.
    """
    from fastapi_peer import handler as peer

    from router.handler import lambda_handler as router

    handlers = {"router": router, "fastapi": peer}
    method, path, body = SCENARIOS[scenario]
    ev = event(method, path, body)

    class Ctx:
        function_name, memory_limit_in_mb, aws_request_id = "router", 512, "r"
        invoked_function_arn = "arn:aws:lambda:us-east-2:123456789012:function:router"

        def get_remaining_time_in_millis(self) -> int:
            return 29000

    ctx = Ctx()
    status = {
        impl: [handler(dict(ev), ctx)["statusCode"] for _ in range(200)][-1] for impl, handler in handlers.items()
    }
    times: dict[str, list[float]] = {impl: [] for impl in handlers}
    for _ in range(max(1, n // WARM_BATCH)):
        for impl, handler in handlers.items():
            for _ in range(WARM_BATCH):
                t = time.perf_counter()
                handler(dict(ev), ctx)
                times[impl].append(time.perf_counter() - t)
    return {impl: (statistics.median(times[impl]), status[impl]) for impl in handlers}


def zipped_size(root: Path) -> tuple[int, int]:
    """(bytes on disk, bytes zipped) of the tree under root, as the Lambda .zip would hold it (bytecode included)."""
    raw = 0
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(root.rglob("*")):
            if f.is_file():
                raw += f.stat().st_size
                zf.write(f, f.relative_to(root))
    return raw, len(buf.getvalue())


def peer_deps(bundling: ModuleType) -> Path:
    """The peer's dependencies (FastAPI, Mangum and the same runtime deps), pip-installed once per requirements."""
    reqs = bundling.requirement_files("router")
    key = hashlib.sha256("|".join([bundling.BYTECODE, *bundling.PLATFORMS, *PEER_REQUIREMENTS]).encode())
    for req in reqs:
        key.update(req.read_bytes())
    target = ROOT / ".cache" / f"bench-peer-deps-{key.hexdigest()[:16]}"
    # As the router's bundle: no console scripts; compiled with the rest of the peer in package_sizes.
    return bundling.cached_install(
        target, lambda staging: [*bundling.pip_install_command(staging, reqs), *PEER_REQUIREMENTS], None
    )


def package_sizes() -> dict[str, tuple[int, int]]:
    sys.path.insert(0, str(ROOT))
    # The bundler itself, not the CDK construct: no aws_cdk/jsii (and no Node) just to size a zip.
    from stacks.constructs import bundling

    with tempfile.TemporaryDirectory() as tmp:
        router = Path(tmp) / "router"
        bundling.bundle("router", router)  # exactly the deployed asset
        peer = Path(tmp) / "peer"
        shutil.copytree(peer_deps(bundling), peer)
        # The same logic modules ship in both; the peer adds its app module.
        for package in (bundling.COMMON_PACKAGE, "router"):
            shutil.copytree(router / package, peer / package)
        shutil.copy2(ROOT / "bench" / "fastapi_peer.py", peer)
        bundling.compile_bytecode(bundling.runtime_python(), peer)  # shipped as the router is: with bytecode
        return {"router": zipped_size(router), "fastapi+mangum": zipped_size(peer)}


VALIDATORS = {"router": "common.schema (hand-written)", "msgspec": "msgspec", "powertools": "Powertools validation"}


def validators(runs: int) -> None:
    """Cold start of the bad-input request per validator, each against FastAPI + Mangum in the same run."""
    print(f"cold start of a rejected request by validator: import + first request, {runs} fresh processes (median, ms)")
    samples: dict[str, list[float]] = {impl: [] for impl in (*VALIDATORS, "fastapi")}
    statuses: dict[str, set[int]] = {impl: set() for impl in samples}
    for _ in range(runs):
        for impl in samples:
            r = cold(impl, "bad_ai_request")
            samples[impl].append((r["import"] + r["first"]) * 1000)
            statuses[impl].add(r["status"])
    peer = statistics.median(samples["fastapi"])
    print(f"  {'fastapi+mangum':32s} {peer:7.1f}  [HTTP {sorted(statuses['fastapi'])}]")
    for impl, label in VALIDATORS.items():
        ms = statistics.median(samples[impl])
        print(f"  {label:32s} {ms:7.1f}   ratio {ms / peer:.2f}x  (target <= 0.50x)  [HTTP {sorted(statuses[impl])}]")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warm", type=int, default=3000)
    parser.add_argument("--no-cold", action="store_true")
    parser.add_argument("--no-size", action="store_true")
    parser.add_argument("--validators", action="store_true", help="compare body validators (cold start only)")
    args = parser.parse_args()
    os.environ.update(router_env())
    sys.path[:0] = [str(LAMBDAS), str(ROOT / "bench")]

    if args.validators:
        validators(args.runs)
        return
    ratios: dict[str, list[float]] = {"cold": [], "warm": []}
    if not args.no_cold:
        print(f"cold start: import + first request, {args.runs} fresh processes each (median, ms)")
    for scenario in SCENARIOS if not args.no_cold else ():
        samples: dict[str, list[float]] = {"router": [], "fastapi": []}
        for _ in range(args.runs):
            for impl in samples:  # interleaved so machine noise hits both alike
                r = cold(impl, scenario)
                samples[impl].append((r["import"] + r["first"]) * 1000)
        a, b = statistics.median(samples["router"]), statistics.median(samples["fastapi"])
        ratios["cold"].append(a / b)
        print(f"  {scenario:15s} router {a:7.1f}   fastapi+mangum {b:7.1f}   ratio {a / b:.2f}x  (target <= 0.50x)")

    print(
        f"warm: per request, {args.warm} requests each in one process, alternating batches of {WARM_BATCH} (median, us)"
    )
    for scenario in SCENARIOS:
        result = warm(scenario, args.warm)
        (a, sa), (b, sb) = result["router"], result["fastapi"]
        assert sa == sb, (scenario, sa, sb)
        ratios["warm"].append(a / b)
        print(
            f"  {scenario:15s} router {a * 1e6:7.1f}   fastapi+mangum {b * 1e6:7.1f}   ratio {a / b:.2f}x  (target <= 0.33x)  [HTTP {sa}]"
        )

    if not args.no_size:
        print("deployed package (.zip; Powertools comes from the managed layer, boto3 from the runtime)")
        sizes = package_sizes()
        (ra, rz), (fa, fz) = sizes["router"], sizes["fastapi+mangum"]
        print(
            f"  router {rz / 1e6:6.2f} MB zipped ({ra / 1e6:.2f} MB unzipped)   fastapi+mangum {fz / 1e6:6.2f} MB zipped "
            f"({fa / 1e6:.2f} MB unzipped)   ratio {rz / fz:.2f}x"
        )
    # The headline: the worst scenario's cold start (the warm one when cold is skipped).
    kind, target = ("cold", 0.5) if ratios["cold"] else ("warm", 0.33)
    print(f"router framework {kind}: {max(ratios[kind]):.2f}x FastAPI + Mangum (target <= {target})")


if __name__ == "__main__":
    main()
