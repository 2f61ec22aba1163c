"""Where a Piccolo app's migrations are.

A source checkout keeps migrations/ beside the package. An installed package (the Docker image) has none there: it
runs from the directory that holds piccolo_conf.py and migrations/, so look in the working directory instead.
"""

from __future__ import annotations

import os


def migrations_folder(app_name: str) -> str:
    checkout = os.path.join(os.path.dirname(__file__), "..", "..", "migrations", app_name)
    return checkout if os.path.isdir(checkout) else os.path.join(os.getcwd(), "migrations", app_name)
