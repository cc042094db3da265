from __future__ import annotations

from django.contrib import admin
from django.urls import include, path, re_path

from unidesk.api.app import api
from unidesk.api.errors import json_not_found
from unidesk.core.health import healthz
from unidesk.workspace import survey_views

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    re_path(r"^api/v1/(?P<rest>.*)$", json_not_found),
    path("i18n/", include("django.conf.urls.i18n")),
    path("s/<str:token>", survey_views.survey, name="csat-survey"),
    path("", include("unidesk.channels.webchat.urls")),
    path("", include("unidesk.workspace.urls")),
]
