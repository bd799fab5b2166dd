"""``python -m fakeweb --port 8765``: run the fake web in the foreground.

The first stdout line is the origin map JSON (the value for ``RECEIPTS_ORIGIN_MAP``).
"""

from __future__ import annotations

import argparse
import json
import sys

from fakeweb.server import FakeWeb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fakeweb", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0 = any free port)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--bulk", type=int, default=0, help="also serve N generated posts (bulk.py; benchmarks)")
    args = parser.parse_args(argv)
    web = FakeWeb(port=args.port, host=args.host)
    web.store.bulk_count = max(0, args.bulk)
    print(json.dumps(web.origin_map()), flush=True)
    try:
        web.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        web.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
