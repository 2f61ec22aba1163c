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

    tokens = {manage_token("secret", "n1"), view_token("secret", "n1"), feed_token("secret", "n1"),
              view_token("secret", "n2"), view_token("other", "n1")}
    assert (len(tokens), view_token("secret", "n1")) == (5, view_token("secret", "n1"))
