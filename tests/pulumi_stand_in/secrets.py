"""The passphrase secrets provider: `encryptionsalt: v1:...` and `secure: v1:...` in a stack file.

pkg/secrets/passphrase/manager.go: the salt is 8 random bytes; the key is PBKDF2-SHA256 of the
passphrase with 1,000,000 iterations and 32 bytes (sdk/go/common/resource/config/crypt.go,
NewSymmetricCrypterFromPassphrase); the stack's state is `v1:<salt base64>:` followed by the
encryption of "pulumi" (NewPassphraseSecretsManager), which tells a wrong passphrase
(symmetricCrypterFromPhraseAndState: "incorrect passphrase"). Each value is AES-256-GCM with a fresh
12-byte nonce, written `v1:<nonce base64>:<ciphertext and tag base64>` (crypt.go, EncryptValue).
The passphrase comes from PULUMI_CONFIG_PASSPHRASE, else the file PULUMI_CONFIG_PASSPHRASE_FILE
names, else (no terminal to prompt on) an error (manager.go, readPassphrase).
"""

from __future__ import annotations

import base64
import hashlib
import os
from functools import lru_cache
from pathlib import Path
from typing import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ITERATIONS = 1_000_000
MISSING = ("passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE "
           "environment variables")


class SecretsError(Exception):
    """The CLI's error, word for word."""


def passphrase(env: Mapping[str, str]) -> str:
    if "PULUMI_CONFIG_PASSPHRASE" in env:
        return env["PULUMI_CONFIG_PASSPHRASE"]
    if env.get("PULUMI_CONFIG_PASSPHRASE_FILE"):
        try:
            return Path(env["PULUMI_CONFIG_PASSPHRASE_FILE"]).resolve().read_text().strip()
        except OSError as error:
            raise SecretsError(f"unable to read PULUMI_CONFIG_PASSPHRASE_FILE: {error}") from None
    raise SecretsError(MISSING)


@lru_cache(maxsize=None)
def _key(phrase: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", phrase.encode(), salt, ITERATIONS, 32)


def encrypt(key: bytes, plaintext: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), None)
    return f"v1:{base64.b64encode(nonce).decode()}:{base64.b64encode(sealed).decode()}"


def decrypt(key: bytes, value: str) -> str:
    parts = value.split(":")
    if len(parts) != 3:
        raise SecretsError("bad value")
    if parts[0] != "v1":
        raise SecretsError("unknown value version")
    try:
        nonce, sealed = base64.b64decode(parts[1], validate=True), base64.b64decode(parts[2], validate=True)
    except ValueError as error:
        raise SecretsError(f"bad value: {error}") from None
    if len(nonce) != 12:
        raise SecretsError("bad value: nonce size is incorrect")
    try:
        return AESGCM(key).decrypt(nonce, sealed, None).decode()
    except InvalidTag:
        raise SecretsError("cipher: message authentication failed") from None


def new_state(phrase: str) -> tuple[str, bytes]:
    salt = os.urandom(8)
    key = _key(phrase, salt)
    return f"v1:{base64.b64encode(salt).decode()}:{encrypt(key, 'pulumi')}", key


def key_for(phrase: str, state: str) -> bytes:
    version, salt, check = (state.split(":", 2) + ["", ""])[:3]
    if not check:
        raise SecretsError("malformed state value")
    if version != "v1":
        raise SecretsError("unknown state version")
    key = _key(phrase, base64.b64decode(salt))
    try:
        if decrypt(key, check) == "pulumi":
            return key
    except SecretsError:
        pass
    raise SecretsError("incorrect passphrase")
