"""Benchmark settings: the product's settings, DEBUG off, and a URL map that adds the bare ceiling view."""

from netweave.settings import *  # noqa: F403

DEBUG = False
ROOT_URLCONF = "bench.urls"
