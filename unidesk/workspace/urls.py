from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from unidesk.workspace import customer_views, email_views, live_views, reports_views, views
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
    path("t/<int:number>/copies/", email_views.copy_add_view, name="ticket-copy-add"),
    path(
        "t/<int:number>/copies/<int:participant_id>/remove/",
        email_views.copy_remove_view,
        name="ticket-copy-remove",
    ),
    path("attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    path("customers/<int:customer_id>/", views.customer, name="customer"),
    path(
        "customers/<int:customer_id>/merge/",
        customer_views.merge_search,
        name="customer-merge-search",
    ),
    path(
        "customers/<int:customer_id>/merge/<int:other_id>/",
        customer_views.merge,
        name="customer-merge",
    ),
    path(
        "merge-suggestions/<int:suggestion_id>/dismiss/",
        customer_views.suggestion_dismiss,
        name="merge-suggestion-dismiss",
    ),
    path("t/<int:number>/links/", customer_views.link, name="ticket-link"),
    path(
        "t/<int:number>/links/<int:other_number>/remove/",
        customer_views.unlink,
        name="ticket-unlink",
    ),
    path("t/<int:number>/duplicate/", customer_views.close_as_duplicate, name="ticket-duplicate"),
    path("language/", views.language, name="language"),
    path("reports/", reports_views.reports, name="reports"),
    path("reports/tickets.<str:fmt>", reports_views.reports_export, name="reports-export"),
    path("reports/by/<str:by>/", reports_views.reports_table, name="reports-table"),
    path("ratings/", reports_views.ratings_review, name="ratings-review"),
    path(
        "ratings/<int:survey_id>/reviewed/",
        reports_views.rating_mark_reviewed,
        name="rating-reviewed",
    ),
]
