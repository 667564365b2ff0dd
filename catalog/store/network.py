"""The embedded server as a federation member: logical WAL, a TCP port, scram passwords.

By default the embedded PostgreSQL listens on a Unix socket only, with trust
authentication (symcat.store.engine). A lab that publishes to a hub, or a hub, needs
more: `wal_level = logical` (a restart), a TCP address the other side can reach, and
passwords on it. `enable(pgdata, ...)` records that choice in `symcat-network.json` beside pgdata;
from then on every start of that folder's server (engine._start_embedded) writes the
settings below and starts postgres itself with the address and port, and pgserver joins
the running server. pg_hba.conf is rewritten so that TCP always asks for a scram-sha-256
password and the Unix socket trusts only the operating-system user that owns the catalog
(peer authentication), never another local account.

Memory: several embedded servers on one machine (two labs and a hub in the tests and the
demo) must not each take a quarter of it; a federated server takes `FEDERATED_FRACTION`.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
from dataclasses import asdict, dataclass
from pathlib import Path

NETWORK_FILE = "symcat-network.json"
FEDERATION_CONF = "symcat-federation.conf"
# Shared buffers of a federated embedded server: an eighth of the memory (three servers
# on one machine take 3/8, the default single server a quarter), at most 4 GB.
FEDERATED_FRACTION = 0.125
FEDERATED_MAX_MB = 4 * 1024
# WAL a lab keeps for a hub that is away; past it the hub's slot is invalidated and
# the lab must be added again (docs/federation.md). Protects the lab's disk.
DEFAULT_MAX_SLOT_WAL_KEEP = "10GB"


@dataclass(frozen=True)
class Network:
    """How a federated embedded server listens."""

    listen: str = "localhost"
    port: int = 0
    max_slot_wal_keep_size: str = DEFAULT_MAX_SLOT_WAL_KEEP

    def conf_lines(self) -> list[str]:
        return [
            "# Written by symcat (symcat.store.network): this server takes part in federation.",
            "wal_level = 'logical'",
            "password_encryption = 'scram-sha-256'",
            f"max_slot_wal_keep_size = '{self.max_slot_wal_keep_size}'",
            "max_wal_senders = 20",
            "max_replication_slots = 20",
            # A hub runs one apply worker per lab, plus table-copy workers while adding one.
            "max_logical_replication_workers = 16",
            "max_sync_workers_per_subscription = 2",
            "max_worker_processes = 24",
            # Replication status and freshness need commit timestamps and a quick feedback.
            "wal_sender_timeout = '30s'",
            "wal_receiver_status_interval = '1s'",
        ]


def read(pgdata: Path) -> Network | None:
    """The recorded network settings of this data folder, None for a socket-only server."""
    path = pgdata.parent / NETWORK_FILE  # beside pgdata: initdb wants an empty folder
    if not path.is_file():
        return None
    return Network(**json.loads(path.read_text(encoding="utf-8")))


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def enable(pgdata: Path, *, listen: str = "localhost", port: int | None = None,
           max_slot_wal_keep_size: str = DEFAULT_MAX_SLOT_WAL_KEEP) -> Network:
    """Record that this folder's server listens on TCP with logical WAL; takes effect at
    the next start (see engine.restart_embedded). Keeps the port already chosen."""
    previous = read(pgdata)
    chosen = port or (previous.port if previous else 0) or free_port()
    network = Network(listen=listen, port=int(chosen),
                      max_slot_wal_keep_size=max_slot_wal_keep_size)
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    _write_owned(pgdata.parent / NETWORK_FILE, json.dumps(asdict(network), indent=2) + "\n",
                 pgdata.parent)
    return network


def write_server_files(pgdata: Path, network: Network) -> None:
    """symcat-federation.conf (included from postgresql.conf) and pg_hba.conf / pg_ident.conf."""
    _write_owned(pgdata / FEDERATION_CONF, "\n".join(network.conf_lines()) + "\n", pgdata)
    config = pgdata / "postgresql.conf"
    include = f"include_if_exists = '{FEDERATION_CONF}'"
    if include not in config.read_text(encoding="utf-8"):
        with config.open("a", encoding="utf-8") as handle:
            handle.write(f"\n{include}\n")
    _write_owned(pgdata / "pg_hba.conf", hba_text(network), pgdata)
    owners = sorted({getpass.getuser(), *(("pgserver",) if _is_root() else ())})
    ident = "".join(f"symcat  {name}  postgres\n" for name in owners)
    _write_owned(pgdata / "pg_ident.conf", "# Written by symcat: who may be 'postgres'.\n"
                 + ident, pgdata)


def hba_text(network: Network) -> str:
    """Socket: the owner (peer) as postgres, anyone else with a password; TCP: scram only."""
    lines = [
        "# Written by symcat (symcat.store.network). TCP always needs a scram-sha-256 password.",
        "local   all   postgres   peer   map=symcat",
        "local   all   all        scram-sha-256",
        "host    all   all   127.0.0.1/32   scram-sha-256",
        "host    all   all   ::1/128        scram-sha-256",
    ]
    if network.listen not in ("localhost", "127.0.0.1", "::1"):
        # Narrow these to the hub's address where the firewall does not (docs/federation.md).
        lines += ["host    all   all   0.0.0.0/0   scram-sha-256",
                  "host    all   all   ::/0        scram-sha-256"]
    return "\n".join(lines) + "\n"


def postgres_options(network: Network, socket_dir: Path) -> str:
    """The `pg_ctl -o` options: the listen address and port, and the socket folder."""
    return f'-h "{network.listen}" -p {network.port} -k "{socket_dir}"'


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _write_owned(path: Path, text: str, pgdata: Path) -> None:
    """Write atomically, owned like the data folder (postgres runs as its owner)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(text, encoding="utf-8")
    if _is_root() and hasattr(os, "chown"):
        stat = pgdata.stat()
        os.chown(temporary, stat.st_uid, stat.st_gid)
    temporary.chmod(0o600)
    temporary.replace(path)
