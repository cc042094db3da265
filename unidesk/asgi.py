"""The ASGI application: HTTP through Django, websockets through Channels; platform
webhooks take a lane of their own (see ``unidesk.api.webhook_lane``)."""

from __future__ import annotations

import gc
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

# Everything loaded so far (Django, the apps, their modules) lives as long as the process:
# keep it out of the garbage collector's full scans, which pause every open websocket;
# and collect the young generation less often, so that fewer short-lived objects (a
# request's, a frame's) survive into the old one and bring a full scan on sooner.
gc.freeze()
gc.set_threshold(20_000, 20, 10)
