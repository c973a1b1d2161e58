"""The web UI's views, one module per area: session, desk (agents), portal (customers), admin."""

from guichet.web.views.session import home

__all__ = ["home"]
