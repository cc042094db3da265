from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from unidesk.workspace import live_views, views
from unidesk.workspace.forms import LoginForm

app_name = "workspace"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="workspace/login.html",
            authentication_form=LoginForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.inbox, name="home"),
    path("live/inbox/", live_views.inbox_live, name="inbox-live"),
    path("search/", views.search, name="search"),
    path("t/<int:number>/", views.ticket, name="ticket"),
    path("t/<int:number>/reply/", views.ticket_reply, name="ticket-reply"),
    path("t/<int:number>/live/", live_views.ticket_live, name="ticket-live"),
    path("t/<int:number>/update/", views.ticket_change, name="ticket-update"),
    path("t/<int:number>/template/", views.ticket_template, name="ticket-template"),
    path(
        "t/<int:number>/continue-privately/",
        views.ticket_continue_privately,
        name="ticket-continue-privately",
    ),
    path(
        "t/<int:number>/messages/<int:message_id>/retry/",
        views.message_retry,
        name="message-retry",
    ),
    path("attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    path("customers/<int:customer_id>/", views.customer, name="customer"),
    path("language/", views.language, name="language"),
]
