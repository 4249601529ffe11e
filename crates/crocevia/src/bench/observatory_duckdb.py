"""DuckDB's side of `crocevia bench observatory`: loads the needs CSV, runs the same dashboard
queries as GROUP BYs with the same parameters, prints the load time and each run's milliseconds
as JSON on stdout."""
import json
import sys
import time

import duckdb

csv_path, params_path = sys.argv[1], sys.argv[2]
con = duckdb.connect()
started = time.perf_counter()
con.execute(
    "CREATE TABLE needs AS SELECT * FROM read_csv(?, header = true, columns = "
    "{'month': 'USMALLINT', 'province': 'UTINYINT', 'region': 'UTINYINT', 'sex': 'UTINYINT', "
    "'area': 'UTINYINT', 'counted': 'UTINYINT'})",
    [csv_path],
)
load_s = time.perf_counter() - started

QUERIES = {
    "map_by_province_one_year": "SELECT province, count(*) FROM needs WHERE counted = 1 "
    "AND month BETWEEN $from AND $to GROUP BY province",
    "series_by_month_one_region": "SELECT month, count(*) FROM needs WHERE counted = 1 "
    "AND region = $region AND month BETWEEN $from AND $to GROUP BY month",
    "area_by_sex_one_region": "SELECT area, sex, count(*) FROM needs WHERE counted = 1 "
    "AND region = $region AND month BETWEEN $from AND $to GROUP BY area, sex",
}
runs = {kind: [] for kind in QUERIES}
with open(params_path) as f:
    params = json.load(f)
for p in params:
    sql = QUERIES[p["kind"]]
    values = {"from": p["from"], "to": p["to"]}
    if "$region" in sql:
        values["region"] = p["region"]
    started = time.perf_counter()
    con.execute(sql, values).fetchall()
    runs[p["kind"]].append((time.perf_counter() - started) * 1000.0)
json.dump({"load_s": load_s, "runs": runs}, sys.stdout)
