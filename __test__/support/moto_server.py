"""A real S3-compatible server for the tests: moto's ThreadedMotoServer on 127.0.0.1.

Usage: python moto_server.py [PORT]   (0 or nothing: any free port)

Prints one line, {"endpoint": "http://127.0.0.1:PORT"}, once a real HTTP request has been
answered, and stops when its standard input closes, so a test runner that dies leaves
nothing behind.
"""

import json
import logging
import sys
import urllib.request

from moto.server import ThreadedMotoServer

logging.getLogger("werkzeug").setLevel(logging.ERROR)

port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
server.start()
host, port = server.get_host_and_port()
endpoint = f"http://{host}:{port}"
urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=30).read()
print(json.dumps({"endpoint": endpoint}), flush=True)
try:
    sys.stdin.read()
finally:
    server.stop()
