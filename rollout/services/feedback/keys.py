"""The keyed names of the participant's side: the token of a personal link and
the hash of it that is stored, the respondent key of a response, and
`keyed_hash` for any other name that must say nothing without SECRET_KEY."""
from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app


def _secret() -> bytes:
    return current_app.config["SECRET_KEY"].encode()


def link_token(link_wave_id: int, person_id: int, nonce: str) -> str:
    """The token in a personal link's URL: from the secret, the wave, the person and the link's nonce."""
    digest = hmac.new(_secret(), f"feedback-link:{link_wave_id}:{person_id}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token_hash(token: str) -> str:
    """What is stored of a token (its SHA-256), by which a link is found."""
    return hashlib.sha256(token.encode()).hexdigest()


def keyed_hash(message: str) -> str:
    """HMAC-SHA-256 of `message` under SECRET_KEY, in hex: a name that says nothing without the secret."""
    return hmac.new(_secret(), message.encode(), hashlib.sha256).hexdigest()


def respondent_key(wave_id: int, person_id: int) -> str:
    """A keyed hash of wave and person: unique per wave, and no link back without the secret."""
    return keyed_hash(f"respondent:{wave_id}:{person_id}")
