#!/usr/bin/env python3
"""The HTTP half of the search benchmark (see docs/benchmarks.md), driven by scripts/bench-search.

Standard library only. Every address it talks to is given on the command line and is a
loopback one (the script refuses others).

  typesense-load  --url URL --key KEY --docs docs.jsonl
      create the `services` collection and import the JSON lines `crocevia bench search
      --export-jsonl` wrote; prints the time it took.
  latency  --target crocevia|typesense --url URL [--key KEY] [--facets] --queries queries.json
           [--json OUT] [--urls-out FILE]
      run every query of the mix once, one after the other on one keep-alive connection, and
      print p50/p95/p99 per query type; --urls-out writes the mix's URLs for `oha
      --urls-from-file`.
  summary  DIR
      print the figures of a run directory (in-process JSON, HTTP latency, oha results).
"""

import argparse
import http.client
import json
import math
import os
import sys
import time
import urllib.parse

KINDS = [
    ("common", "common word"),
    ("rare", "rare word"),
    ("two_words", "two words (AND)"),
    ("prefix", "prefix (as you type)"),
    ("typo", "one typo"),
    ("category_province", "category + province"),
    ("proximity", "proximity 10-30 km"),
    ("open_now", "open now"),
    ("arabic", "Arabic"),
    ("english", "English"),
]
QUERY_BY = "name,name_tr,description,description_tr,organization,places"
FACET_BY = "categories,province,comuni,languages,free"


def loopback(url):
    host = urllib.parse.urlsplit(url).hostname or ""
    if not (host == "localhost" or host.startswith("127.") or host == "::1"):
        sys.exit(f"refusing {url}: the benchmark only talks to loopback addresses")
    return url


def percentile(sorted_values, q):
    if not sorted_values:
        return None
    rank = min(len(sorted_values), max(1, math.ceil(q * len(sorted_values))))
    return sorted_values[rank - 1]


def crocevia_path(q):
    params = []
    if q.get("text"):
        params.append(("q", q["text"]))
    params.append(("lang", q.get("lang") or "it"))
    if q.get("category"):
        params.append(("need", q["category"]))
    if q.get("province"):
        params.append(("province", q["province"]))
    if q.get("open_now"):
        params.append(("open_now", "true"))
    near = q.get("near")
    if near:
        params.append(("latitude", f"{near['lat']:.6f}"))
        params.append(("longitude", f"{near['lon']:.6f}"))
        params.append(("radius_km", f"{near['radius_km']:g}"))
    return "/api/search?" + urllib.parse.urlencode(params)


def typesense_path(q, key, facets):
    """None when Typesense cannot express the query (open now: no schedules)."""
    if q.get("open_now"):
        return None
    params = [
        ("q", q.get("text") or "*"),
        ("query_by", QUERY_BY),
        ("prefix", "true" if q.get("prefix") else "false"),
        ("per_page", "10"),
    ]
    filters = []
    if q.get("category"):
        filters.append(f"categories:=`{q['category']}`")
    if q.get("province"):
        filters.append(f"province:=`{q['province']}`")
    near = q.get("near")
    if near:
        filters.append(f"location:({near['lat']:.6f}, {near['lon']:.6f}, {near['radius_km']:g} km)")
    if filters:
        params.append(("filter_by", " && ".join(filters)))
    if not q.get("text"):
        params.append(("sort_by", "assured:desc"))
    if facets:
        params.append(("facet_by", FACET_BY))
        params.append(("max_facet_values", "100"))
    params.append(("x-typesense-api-key", key))
    return "/collections/services/documents/search?" + urllib.parse.urlencode(params)


def connection(url):
    parts = urllib.parse.urlsplit(loopback(url))
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)


def request(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    return response.status, data


def typesense_load(args):
    conn = connection(args.url)
    headers = {"X-TYPESENSE-API-KEY": args.key, "Content-Type": "application/json"}
    request(conn, "DELETE", "/collections/services", headers=headers)
    schema = {
        "name": "services",
        "fields": [
            {"name": "name", "type": "string"},
            {"name": "description", "type": "string"},
            {"name": "name_tr", "type": "string[]", "optional": True},
            {"name": "description_tr", "type": "string[]", "optional": True},
            {"name": "organization", "type": "string[]", "optional": True},
            {"name": "places", "type": "string[]", "optional": True},
            {"name": "categories", "type": "string[]", "facet": True},
            {"name": "province", "type": "string", "facet": True},
            {"name": "comuni", "type": "string[]", "facet": True},
            {"name": "languages", "type": "string[]", "facet": True},
            {"name": "free", "type": "bool", "facet": True},
            {"name": "assured", "type": "int64"},
            {"name": "location", "type": "geopoint", "optional": True},
        ],
        "default_sorting_field": "assured",
    }
    status, data = request(conn, "POST", "/collections", json.dumps(schema), headers)
    if status >= 300:
        sys.exit(f"creating the collection failed: {status} {data[:300]!r}")
    started = time.monotonic()
    imported = 0
    failed = 0
    batch = []

    def send():
        nonlocal imported, failed
        body = "".join(batch).encode()
        status, data = request(
            conn,
            "POST",
            "/collections/services/documents/import?action=create&batch_size=1000",
            body,
            {"X-TYPESENSE-API-KEY": args.key, "Content-Type": "text/plain"},
        )
        if status >= 300:
            sys.exit(f"import failed: {status} {data[:300]!r}")
        for line in data.decode().splitlines():
            if '"success":true' in line:
                imported += 1
            else:
                failed += 1
                if failed <= 3:
                    print(f"  import error: {line[:300]}", file=sys.stderr)
        batch.clear()

    with open(args.docs, encoding="utf-8") as docs:
        for line in docs:
            batch.append(line)
            if len(batch) >= 5000:
                send()
                print(f"\r  imported {imported}", end="", file=sys.stderr, flush=True)
    if batch:
        send()
    seconds = time.monotonic() - started
    print("\r" + " " * 40 + "\r", end="", file=sys.stderr)
    print(f"Typesense: imported {imported} services in {seconds:.1f} s ({failed} failed)")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"imported": imported, "failed": failed, "seconds": seconds}, out, indent=2)


def latency(args):
    with open(args.queries, encoding="utf-8") as f:
        queryset = json.load(f)
    queries = [q for q in queryset["queries"] if q["kind"] != "browse_all"]
    base = loopback(args.url).rstrip("/")
    conn = connection(base)

    def path_of(q):
        if args.target == "crocevia":
            return crocevia_path(q)
        return typesense_path(q, args.key, args.facets)

    # Warm up: the first five of each type.
    seen = {}
    for q in queries:
        path = path_of(q)
        if path is None or seen.get(q["kind"], 0) >= 5:
            continue
        seen[q["kind"]] = seen.get(q["kind"], 0) + 1
        request(conn, "GET", path)

    results = {}
    mix = []
    errors = 0
    for key, _ in KINDS:
        samples = []
        hits = []
        sizes = []
        for q in (q for q in queries if q["kind"] == key):
            path = path_of(q)
            if path is None:
                break
            mix.append(path)
            started = time.perf_counter()
            status, data = request(conn, "GET", path)
            samples.append((time.perf_counter() - started) * 1000.0)
            sizes.append(len(data))
            if status != 200:
                errors += 1
                if errors <= 3:
                    print(f"  {status} for {path}: {data[:200]!r}", file=sys.stderr)
                continue
            body = json.loads(data)
            hits.append(len(body.get("hits", [])))
        if not samples:
            results[key] = None
            continue
        samples.sort()
        results[key] = {
            "n": len(samples),
            "p50_ms": percentile(samples, 0.50),
            "p95_ms": percentile(samples, 0.95),
            "p99_ms": percentile(samples, 0.99),
            "mean_ms": sum(samples) / len(samples),
            "hits": sum(hits) / len(hits) if hits else 0.0,
            "bytes": sum(sizes) / len(sizes),
        }
    name = args.target + (" (with facets)" if args.facets and args.target == "typesense" else "")
    print(f"\n== HTTP, one connection, one query at a time: {name}")
    print(f"{'query type':<24} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'hits':>6} {'bytes':>8}")
    for key, label in KINDS:
        r = results.get(key)
        if r is None:
            print(f"{label:<24} {'n/a':>5}")
            continue
        print(
            f"{label:<24} {r['n']:>5} {r['p50_ms']:>8.2f} {r['p95_ms']:>8.2f} {r['p99_ms']:>8.2f}"
            f" {r['hits']:>6.1f} {r['bytes']:>8.0f}"
        )
    if errors:
        print(f"{errors} requests failed")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"target": name, "errors": errors, "kinds": results}, out, indent=2)
    if args.urls_out:
        # Kinds interleaved, like the in-process throughput run.
        by_kind = {}
        for q in queries:
            path = path_of(q)
            if path is not None:
                by_kind.setdefault(q["kind"], []).append(base + path)
        longest = max((len(v) for v in by_kind.values()), default=0)
        with open(args.urls_out, "w") as out:
            for i in range(longest):
                for key, _ in KINDS:
                    urls = by_kind.get(key, [])
                    if i < len(urls):
                        out.write(urls[i] + "\n")


def oha_line(path):
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    summary = data.get("summary", {})
    percentiles = data.get("latencyPercentiles", {})
    statuses = data.get("statusCodeDistribution", {})
    # oha counts failed connections as requests: only answers count here.
    return {
        "rps": (summary.get("requestsPerSec") or 0) * (summary.get("successRate") or 0),
        # Requests still in flight when the run ends are not errors.
        "errors": {
            k: v for k, v in data.get("errorDistribution", {}).items() if k != "aborted due to deadline"
        },
        "p50_ms": (percentiles.get("p50") or 0) * 1000.0,
        "p99_ms": (percentiles.get("p99") or 0) * 1000.0,
        "statuses": statuses,
    }


def summary(args):
    directory = args.dir
    print(f"\n== Load (oha, loopback, {args.duration} per run)")
    print(f"{'target':<44} {'conns':>5} {'answers/s':>9} {'p50 ms':>8} {'p99 ms':>8}  statuses")
    for name in sorted(os.listdir(directory)):
        if not (name.startswith("oha-") and name.endswith(".json")):
            continue
        r = oha_line(os.path.join(directory, name))
        if r is None:
            continue
        target, _, conns = name[4:-5].rpartition("-c")
        print(
            f"{target:<44} {conns:>5} {r['rps']:>9.0f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f}  {r['statuses']}"
            + (f"  errors: {r['errors']}" if r["errors"] else "")
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("typesense-load")
    p.add_argument("--url", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--docs", required=True)
    p.add_argument("--json")
    p.set_defaults(run=typesense_load)
    p = sub.add_parser("latency")
    p.add_argument("--target", choices=["crocevia", "typesense"], required=True)
    p.add_argument("--url", required=True)
    p.add_argument("--key", default="")
    p.add_argument("--facets", action="store_true")
    p.add_argument("--queries", required=True)
    p.add_argument("--json")
    p.add_argument("--urls-out")
    p.set_defaults(run=latency)
    p = sub.add_parser("summary")
    p.add_argument("dir")
    p.add_argument("--duration", default="10s")
    p.set_defaults(run=summary)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
