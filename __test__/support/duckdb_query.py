"""DuckDB for the tests: runs SQL over the test S3 server with nothing fetched at run time.

Usage: python duckdb_query.py HTTPFS_EXTENSION_FILE < request.json

The request is {"setup": [SQL, ...], "queries": [SQL, ...]}: the setup runs first (a secret for
the server, say), then each query, which may be several statements (the last one's rows are
its result). Prints one line of JSON: {"results": [{"columns", "rows", "table"}, ...]}, where
"table" is the result as DuckDB prints it (the README shows those). DuckDB would download the
httpfs extension on the first s3:// path; here it is loaded from the file the PyPI package
duckdb-extension-httpfs holds, with automatic installs and loads turned off.
"""

import json
import sys

import duckdb

request = json.load(sys.stdin)
con = duckdb.connect()
con.execute("SET autoinstall_known_extensions = false")
con.execute("SET autoload_known_extensions = false")
con.execute("LOAD '" + sys.argv[1].replace("'", "''") + "'")
for sql in request.get("setup", []):
    con.execute(sql)
results = []
for sql in request["queries"]:
    relation = con.sql(sql)
    if relation is None:
        results.append({"columns": [], "rows": [], "table": ""})
        continue
    table = str(relation)
    results.append(
        {"columns": relation.columns, "rows": relation.fetchall(), "table": table}
    )
print(json.dumps({"results": results}, default=str))
