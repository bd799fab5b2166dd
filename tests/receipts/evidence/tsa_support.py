"""A local RFC 3161 authority for tests: ``openssl ts -reply`` behind a tiny HTTP server, with its own CA.

:func:`make_tsa_ca` creates a root CA and a time-stamping certificate (critical EKU timeStamping)
under a directory; :class:`LocalTSA` answers ``application/timestamp-query`` POSTs with
``openssl ts -reply``. ``available = False`` makes it drop connections unanswered (an unreachable
authority); ``requests`` counts the queries it answered.
"""

from __future__ import annotations

import subprocess
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TS_CONFIG = """\
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = yes
ess_cert_id_alg = sha256
"""


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@dataclass
class TsaCA:
    dir: Path
    ca_file: Path  # the root, PEM: what RECEIPTS_TSA_CA_FILE names
    config: Path


def make_tsa_ca(directory: Path, name: str = "Receipts Test") -> TsaCA:
    """A root CA and a TSA certificate it issued, in *directory*."""
    directory.mkdir(parents=True, exist_ok=True)
    ext = directory / "tsa.ext"
    ext.write_text("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n"
                   "extendedKeyUsage=critical,timeStamping\nsubjectKeyIdentifier=hash\n"
                   "authorityKeyIdentifier=keyid\n")
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", "ca.key", "-out", "ca.pem", "-days", "3", "-subj", f"/CN={name} Root CA",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             cwd=directory)
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "tsa.key",
             "-out", "tsa.csr", "-subj", f"/CN={name} TSA", cwd=directory)
    _openssl("x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "tsa.pem", "-days", "2", "-extfile", "tsa.ext", cwd=directory)
    (directory / "serial").write_text("01\n")
    config = directory / "ts.cnf"
    config.write_text(TS_CONFIG.format(dir=directory))
    return TsaCA(directory, directory / "ca.pem", config)


class LocalTSA:
    """``openssl ts -reply`` over HTTP on 127.0.0.1 (port 0: a free one)."""

    def __init__(self, ca: TsaCA) -> None:
        self.ca = ca
        self.available = True
        self.requests = 0
        self._lock = threading.Lock()
        tsa = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                if not tsa.available:
                    self.close_connection = True
                    self.connection.close()  # no answer at all, as an unreachable host
                    return
                query = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Type") != "application/timestamp-query":
                    self.send_error(415)
                    return
                with tsa._lock:
                    proc = subprocess.run(["openssl", "ts", "-reply", "-config", str(tsa.ca.config),
                                           "-queryfile", "/dev/stdin", "-out", "/dev/stdout"],
                                          input=query, capture_output=True, cwd=tsa.ca.dir)
                    tsa.requests += proc.returncode == 0
                if proc.returncode != 0:
                    self.send_error(500, proc.stderr.decode(errors="replace")[:200])
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(proc.stdout)))
                self.end_headers()
                self.wfile.write(proc.stdout)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def origin_map(self, *origins: str) -> dict[str, str]:
        """``RECEIPTS_ORIGIN_MAP`` entries sending each TSA origin here."""
        return {origin: self.base_url for origin in origins}

    def __enter__(self) -> LocalTSA:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
