from __future__ import annotations

from django.urls import path

from unidesk.channels.webchat import views

app_name = "webchat"

urlpatterns = [
    path("widget.js", views.widget_js, name="widget-js"),
    path("webchat/<str:key>/config", views.widget_config_view, name="config"),
    path("webchat/<str:key>/upload", views.upload, name="upload"),
    path("webchat/<str:key>/files/<str:token>", views.file, name="file"),
    path("webchat/<str:key>/try", views.try_widget, name="try"),
]
