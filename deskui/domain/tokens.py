"""Personal sign-in tokens: made with `secrets`, stored only as an scrypt hash with a
random salt, compared in constant time. Pure (stdlib only)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

# scrypt cost: n=2**14, r=8, p=1 (16 MiB, ~50 ms): slow to guess, quick to check once.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
TOKEN_BYTES = 24


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_salt() -> str:
    return secrets.token_hex(16)


def token_hash(token: str, salt: str) -> str:
    digest = hashlib.scrypt(token.encode("utf-8"), salt=bytes.fromhex(salt), n=SCRYPT_N, r=SCRYPT_R,
                            p=SCRYPT_P, maxmem=64 * 1024 * 1024, dklen=32)
    return digest.hex()


def token_matches(token: str, salt: str, stored_hash: str) -> bool:
    if not token or len(token) > 256:
        return False
    return hmac.compare_digest(token_hash(token, salt), stored_hash)
