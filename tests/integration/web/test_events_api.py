from tests.fixtures import event_body, login, published_event


async def test_create_event_without_token_is_401(client):
    response = await client.post("/api/events", json=event_body())
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_create_event_returns_draft_in_event_zone(client, organizer):
    response = await client.post(
        "/api/events",
        json=event_body(starts_at="2027-03-10T09:00:00", ends_at="2027-03-11T17:00:00"),
        headers=organizer,
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["starts_at"], body["categories"]) == ("draft", "2027-03-10T09:00:00+09:00", [])


async def test_draft_is_hidden_from_the_public_and_other_organizers(client, organizer):
    event = (await client.post("/api/events", json=event_body(), headers=organizer)).json()
    other = await login(client, "someone.else@example.org")
    anonymous = await client.get(f"/api/events/{event['id']}")
    stranger = await client.get(f"/api/events/{event['id']}", headers=other)
    assert (anonymous.status_code, stranger.status_code) == (404, 403)


async def test_patch_by_another_organizer_is_403(client, organizer):
    event = (await client.post("/api/events", json=event_body(), headers=organizer)).json()
    other = await login(client, "someone.else@example.org")
    response = await client.patch(f"/api/events/{event['id']}", json={"title": "Mine now"}, headers=other)
    assert response.status_code == 403


async def test_patch_end_before_start_is_422_and_changes_nothing(client, organizer):
    event = (await client.post("/api/events", json=event_body(), headers=organizer)).json()
    response = await client.patch(
        f"/api/events/{event['id']}", json={"ends_at": event["starts_at"], "title": "Changed"}, headers=organizer
    )
    after = (await client.get(f"/api/events/{event['id']}", headers=organizer)).json()
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "ends_at", "message": "must be after starts_at"}]
    assert after["title"] == event["title"]


async def test_patch_of_anything_the_invite_shows_grows_calendar_sequence_but_capacity_does_not(client, organizer):
    from events_app.db import sql

    event = (await client.post("/api/events", json=event_body(), headers=organizer)).json()
    await client.patch(f"/api/events/{event['id']}", json={"title": "Renamed forum"}, headers=organizer)
    after_title = await sql.fetchval("SELECT calendar_sequence FROM event WHERE id = $1", event["id"])
    await client.patch(f"/api/events/{event['id']}", json={"venue_name": "G-Tower"}, headers=organizer)
    after_place = await sql.fetchval("SELECT calendar_sequence FROM event WHERE id = $1", event["id"])
    await client.patch(f"/api/events/{event['id']}", json={"capacity": 40}, headers=organizer)
    after_capacity = await sql.fetchval("SELECT calendar_sequence FROM event WHERE id = $1", event["id"])
    assert (after_title, after_place, after_capacity) == (1, 2, 2)


async def test_publish_requires_a_category(client, organizer):
    event = (await client.post("/api/events", json=event_body(), headers=organizer)).json()
    response = await client.post(f"/api/events/{event['id']}/publish", headers=organizer)
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "categories"


async def test_published_events_are_listed_anonymously(client, organizer):
    await published_event(client, organizer, title="Published forum")
    await client.post("/api/events", json=event_body(title="Still a draft"), headers=organizer)
    titles = [e["title"] for e in (await client.get("/api/events")).json()]
    assert titles == ["Published forum"]


async def test_malformed_json_is_400_problem(client, organizer):
    response = await client.post(
        "/api/events", content=b'{"title": "x",', headers={**organizer, "content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["title"] == "Malformed request body"


async def test_unknown_field_is_422_naming_it(client, organizer):
    response = await client.post("/api/events", json=event_body(colour="green"), headers=organizer)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "colour"


async def test_missing_field_is_422_naming_it(client, organizer):
    body = event_body()
    del body["timezone"]
    response = await client.post("/api/events", json=body, headers=organizer)
    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "timezone")


async def test_unknown_time_zone_is_422_naming_it(client, organizer):
    response = await client.post("/api/events", json=event_body(timezone="Asia/Atlantis"), headers=organizer)
    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "timezone")


async def test_duplicate_category_code_is_409(client, organizer):
    event = await published_event(client, organizer)
    response = await client.post(
        f"/api/events/{event['id']}/categories", json={"code": "delegate", "name": "D"}, headers=organizer
    )
    assert (response.status_code, response.json()["errors"][0]["field"]) == (409, "code")


async def test_login_with_wrong_password_is_401(client, organizer):
    response = await client.post("/api/auth/login", json={"email": "organizer@example.org", "password": "nope"})
    assert response.status_code == 401


async def test_logout_revokes_the_token(client, organizer):
    await client.post("/api/auth/logout", headers=organizer)
    response = await client.post("/api/events", json=event_body(), headers=organizer)
    assert response.status_code == 401


async def test_openapi_has_an_operation_id_on_every_route(client):
    schema = (await client.get("/schema/openapi.json")).json()
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert operations and all(op.get("operationId") for op in operations)


async def test_health_reports_database_and_broker(client):
    response = await client.get("/health")
    assert (response.status_code, response.json()) == (200, {"status": "ok", "database": "ok", "broker": "ok"})
