from events_app.domain.security import digest, hash_password, manage_token, new_nonce, verify_password


def test_manage_token_is_deterministic_per_nonce_and_secret():
    nonce = new_nonce()
    assert manage_token("s" * 32, nonce) == manage_token("s" * 32, nonce)
    assert manage_token("s" * 32, nonce) != manage_token("t" * 32, nonce)
    assert manage_token("s" * 32, nonce) != manage_token("s" * 32, new_nonce())


def test_manage_token_carries_at_least_128_bits():
    assert len(new_nonce()) * 4 >= 128  # hex nonce
    assert len(manage_token("s" * 32, new_nonce())) >= 43  # 256-bit HMAC, base64url


def test_digest_is_not_the_token():
    token = manage_token("s" * 32, new_nonce())
    assert digest(token) != token and len(digest(token)) == 64


def test_password_hash_is_argon2_and_verifies():
    hashed = hash_password("congress-demo")
    assert hashed.startswith("$argon2")
    assert (verify_password(hashed, "congress-demo"), verify_password(hashed, "wrong")) == (True, False)


def test_link_tokens_differ_by_purpose():
    from events_app.domain.security import feed_token, manage_token, view_token

    tokens = {
        manage_token("secret", "n1"),
        view_token("secret", "n1"),
        feed_token("secret", "n1"),
        view_token("secret", "n2"),
        view_token("other", "n1"),
    }
    assert (len(tokens), view_token("secret", "n1")) == (5, view_token("secret", "n1"))


def test_purpose_token_is_hmac_of_purpose_and_nonce():
    import base64
    import hashlib
    import hmac

    from events_app.domain.security import purpose_token

    mac = hmac.new(b"secret", b"rsvp:n1", hashlib.sha256).digest()
    assert purpose_token("secret", "rsvp", "n1") == base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def test_every_link_token_is_purpose_token_with_its_stored_prefix():
    # Links already sent must keep working: each token is purpose_token under the exact purpose string it always had.
    from events_app.domain import security as s
    from events_app.domain.replies import reply_token

    key, nonce = "k" * 32, "0123456789abcdef" * 2
    made = {
        "manage": s.manage_token(key, nonce),
        "manage:invitation": s.invitation_token(key, nonce),
        "person-access": s.access_link_token(key, nonce),
        "password-reset": s.password_reset_token(key, nonce),
        "registration-view": s.view_token(key, nonce),
        "registration-feed": s.feed_token(key, nonce),
        "rsvp": s.rsvp_token(key, nonce),
        "person-feed": s.person_feed_token(key, nonce),
        "project-feed": s.project_feed_token(key, nonce),
    }
    for purpose, token in made.items():
        if purpose == "manage:invitation":
            assert token == s.purpose_token(key, "manage", "invitation:" + nonce)
        else:
            assert token == s.purpose_token(key, purpose, nonce)
    assert len(set(made.values())) == len(made)
    assert made["manage"] == "zwx6ebZIri__Xb1Qetwk1sl38HdKqbzNtD9ge3H0y0s"  # a link sent before stays valid
    assert reply_token(key, nonce) == base64_lower_prefix(s.purpose_mac(key, "imip-reply", nonce))


def base64_lower_prefix(mac: bytes) -> str:
    import base64

    return base64.b32encode(mac[:16]).decode().rstrip("=").lower()
