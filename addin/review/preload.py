"""Imported by the fork server of batch review: workers forked from it start warm."""
from .pool import warm

warm()
