"""An API process loads what it keeps for life at startup and freezes it (events_app.web.heap)."""

from __future__ import annotations

import gc

from events_app.web import heap
from events_app.web.app import create_app


def test_startup_compiles_every_page_template_and_freezes_what_it_loaded():
    engine = create_app().template_engine
    assert engine is not None
    templates = engine.engine
    names = templates.list_templates(extensions=["html"])
    assert len(names) > 40 and "delegate/manage.html" in names

    heap.load(templates)
    try:
        heap.settle()
        frozen = gc.get_freeze_count()
    finally:
        gc.unfreeze()  # the test process keeps collecting as before

    # every template compiled and cached by the environment (a syntax error in one stops the startup)
    assert templates.cache is not None
    cached = {key[1] for key in templates.cache}  # (loader weakref, name)
    assert set(names) <= cached
    assert frozen > 10_000
