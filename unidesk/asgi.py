"""The ASGI application: HTTP through Django, websockets through Channels; platform
webhooks take a lane of their own (see ``unidesk.api.webhook_lane``)."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "unidesk.settings")

from channels.routing import ProtocolTypeRouter, URLRouter
from django.core.asgi import get_asgi_application

django_application = get_asgi_application()

from unidesk.api.webhook_lane import webhook_lane  # noqa: E402
from unidesk.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": webhook_lane(django_application),
        "websocket": URLRouter(websocket_urlpatterns),
    }
)
