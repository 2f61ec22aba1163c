"""The check-in desk in Chromium with a fake camera: Chromium plays a video of real check-in QR codes as its camera
(`--use-file-for-fake-video-capture`), the page decodes them (jsQR, or BarcodeDetector where Chromium has one),
admits a delegate online, keeps scanning while offline, and syncs the queued scans when the network returns.

The videos are raw YUV4MPEG2 (.y4m) written here from the QR matrix the emails and badges use. Chromium reads the
file when the camera opens and the file is fixed at launch, so the desk is one browser profile (a user data
directory) opened twice: first with a video of the first delegate's code, then with a video that shows the second
and third codes in turn.
The queue of offline scans lives in the profile's localStorage, as on a real device that is closed and reopened.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import async_playwright, expect

from events_app.db import sql
from events_app.documents import qr
from events_app.services.onsite import checkin_codes
from events_app.services.people import accounts
from tests.browser.conftest import CHROMIUM_ARGS, DESKTOP
from tests.fixtures import PASSWORD, published_event

pytestmark = pytest.mark.browser

WIDTH, HEIGHT, FPS = 320, 240, 10
DESK = "North door"
STAFF = "door@example.org"


def qr_frame(text: str) -> bytes:
    """One 4:2:0 frame (Y plane, then U and V at half resolution): the QR code of `text`, black on white, centred."""
    modules = qr.matrix(text)
    quiet = [0] * (len(modules) + 8)
    rows = [quiet] * 4 + [[0] * 4 + list(r) + [0] * 4 for r in modules] + [quiet] * 4
    scale = min(WIDTH, HEIGHT) // len(rows)
    side = len(rows) * scale
    left, top = (WIDTH - side) // 2, (HEIGHT - side) // 2
    luma = bytearray(b"\xeb" * (WIDTH * HEIGHT))  # white (video range)
    for y in range(side):
        row = rows[y // scale]
        line = bytes(0x10 if row[x // scale] else 0xEB for x in range(side))
        start = (top + y) * WIDTH + left
        luma[start : start + side] = line
    chroma = b"\x80" * ((WIDTH // 2) * (HEIGHT // 2))  # no colour
    return bytes(luma) + chroma + chroma


def write_y4m(path: Path, codes: list[str], seconds_each: float) -> Path:
    """A video that shows each code for `seconds_each`, in turn (Chromium loops it)."""
    frames = [qr_frame(c) for c in codes]
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            for _ in range(int(seconds_each * FPS)):
                out.write(b"FRAME\n")
                out.write(frame)
    return path


async def open_desk(playwright, chromium_path: str, profile: Path, video: Path, base_url: str, event_id: int):
    """The desk's browser (its profile kept on disk) with `video` as its camera, on the check-in page."""
    context = await playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=chromium_path,
        headless=True,
        base_url=base_url,
        viewport=DESKTOP,
        locale="en-GB",
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    page = context.pages[0] if context.pages else await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    desk = f"/organizer/events/{event_id}/checkin/"
    await page.goto(desk)
    if "/login" in page.url:  # the first time (or when the profile kept no session)
        await page.goto(f"/login?next={desk}")
        await page.get_by_label("Email address").fill(STAFF)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Log in").click()
        await page.wait_for_load_state()
        await page.goto(desk)
    await expect(page.locator("#checkin-desk")).to_have_attribute("data-ready", "true")
    return context, page, problems


async def queued_codes(page, event_id: int) -> list[str]:
    return await page.evaluate(
        "id => (JSON.parse(localStorage.getItem('checkin-queue-' + id) || '[]')).map(s => s.code)", event_id
    )


async def scans_of(registration_id: int) -> list[tuple]:
    rows = await sql.fetch(
        "SELECT outcome, method, device, session FROM checkin_scan WHERE registration = $1 ORDER BY scanned_at, id",
        registration_id,
    )
    return [tuple(r) for r in rows]


async def test_camera_scan_admits_then_offline_scans_sync_when_back_online(
    client, organizer, api_server, chromium_path, tmp_path
):
    event = await published_event(client, organizer)
    people = []
    for n, name in enumerate(["Zoë Łukasiewicz", "Ирина Шевченко", "王小明"]):
        response = await client.post(
            f"/api/events/{event['id']}/registrations",
            json={"email": f"camera{n}@example.org", "name": name, "category": "delegate", "consent": True},
        )
        assert response.status_code == 201, response.text
        reg = response.json()
        people.append({"id": reg["id"], "name": name, "code": await checkin_codes.live_code(reg["id"])})
    await accounts.create_account(STAFF, "Door Staff", PASSWORD)
    added = await client.post(
        f"/api/events/{event['id']}/checkin-staff", json={"email": STAFF, "desk": DESK}, headers=organizer
    )
    assert added.status_code == 201, added.text
    first_video = write_y4m(tmp_path / "first.y4m", [people[0]["code"]], seconds_each=2)
    offline_video = write_y4m(tmp_path / "offline.y4m", [people[1]["code"], people[2]["code"]], seconds_each=1.5)
    profile = tmp_path / "desk-profile"

    async with async_playwright() as playwright:
        # Online: the camera reads the first delegate's badge; the desk admits and the server has it.
        context, page, problems = await open_desk(
            playwright, chromium_path, profile, first_video, api_server, event["id"]
        )
        await page.get_by_role("button", name="Start the camera").click()
        await expect(page.locator("#verdict")).to_have_attribute("data-outcome", "admitted", timeout=20_000)
        await expect(page.locator("#verdict-person")).to_contain_text(people[0]["name"])
        await page.get_by_role("button", name="Stop the camera").click()
        await expect(page.locator("#checkin-network")).to_have_attribute("data-queued", "0", timeout=20_000)
        decoder = await page.locator("#checkin-desk").get_attribute("data-decoder")
        online = await scans_of(people[0]["id"])
        await context.close()

        # Offline: the same desk reopened with a camera showing the next two badges in turn.
        context, page, more_problems = await open_desk(
            playwright, chromium_path, profile, offline_video, api_server, event["id"]
        )
        problems += more_problems
        await context.set_offline(True)
        await page.get_by_role("button", name="Start the camera").click()
        await page.wait_for_function(
            """([id, a, b]) => {
                const codes = (JSON.parse(localStorage.getItem('checkin-queue-' + id) || '[]')).map(s => s.code);
                return codes.includes(a) && codes.includes(b);
            }""",
            arg=[event["id"], people[1]["code"], people[2]["code"]],
            timeout=30_000,
        )
        await page.get_by_role("button", name="Stop the camera").click()
        await expect(page.locator("#checkin-network")).not_to_have_attribute("data-queued", "0")
        waiting = await queued_codes(page, event["id"])
        while_offline = await sql.fetchval(
            "SELECT count(*) FROM checkin_scan WHERE registration = ANY($1::int[])", [people[1]["id"], people[2]["id"]]
        )

        # Back online: the queue is sent and emptied.
        await context.set_offline(False)
        await expect(page.locator("#checkin-network")).to_have_attribute("data-queued", "0", timeout=30_000)
        await context.close()

    assert decoder in ("jsQR", "BarcodeDetector")
    assert online[0] == ("admitted", "code", DESK, 0)
    assert {c for c in waiting} >= {people[1]["code"], people[2]["code"]}
    assert while_offline == 0
    for person in people[1:]:
        synced = await scans_of(person["id"])
        # the first scan of each badge admitted; the camera may have seen it again: kept, flagged as duplicates
        assert synced[0] == ("admitted", "code", DESK, 0)
        assert {s[0] for s in synced[1:]} <= {"duplicate"}
    attendance = await sql.fetch("SELECT registration, device FROM attendance WHERE session = 0 ORDER BY registration")
    assert [(a["registration"], a["device"]) for a in attendance] == [(p["id"], DESK) for p in people]
    assert problems == []
