"""SCRAM-SHA-256 verifiers made here, so a plain password never reaches the server (or
its log): `ALTER ROLE ... PASSWORD 'SCRAM-SHA-256$...'` stores the verifier as given."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

ITERATIONS = 4096  # PostgreSQL's default (scram_iterations)


def new_password() -> str:
    return secrets.token_urlsafe(24)


def scram_verifier(password: str, *, iterations: int = ITERATIONS) -> str:
    salt = secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode("ascii")

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"
