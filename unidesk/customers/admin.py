"""Administration of customers and their identities."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from unidesk.customers.models import Customer, CustomerMerge, Identity


class IdentityInline(admin.TabularInline):
    model = Identity
    extra = 0
    fields = ["kind", "value", "verified", "created_at"]
    readonly_fields = ["created_at"]


class MergedFilter(admin.SimpleListFilter):
    title = _("merged")
    parameter_name = "merged"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("no", str(_("Current customers"))), ("yes", str(_("Merged into another")))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Customer]) -> QuerySet[Customer]:
        if self.value() == "no":
            return queryset.filter(merged_into=None)
        if self.value() == "yes":
            return queryset.exclude(merged_into=None)
        return queryset


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["__str__", "identity_list", "language", "created_at", "merged_into"]
    list_filter = [MergedFilter]
    search_fields = ["name", "identities__value"]
    fields = ["name", "language", "note", "merged_into", "created_at", "updated_at"]
    readonly_fields = ["merged_into", "created_at", "updated_at"]
    list_select_related = ["merged_into"]
    inlines = [IdentityInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Customer]:
        return super().get_queryset(request).prefetch_related("identities")

    @admin.display(description=_("identities"))
    def identity_list(self, customer: Customer) -> str:
        return ", ".join(identity.value for identity in customer.identities.all())


@admin.register(CustomerMerge)
class CustomerMergeAdmin(admin.ModelAdmin):
    """The record of every merge, read-only: who merged which customer into which, and
    what moved."""

    list_display = ["created_at", "source", "target", "actor_name", "moved_summary"]
    list_select_related = ["source", "target"]
    search_fields = ["actor_name", "source__name", "target__name"]
    fields = ("created_at", "source", "target", "actor_kind", "actor_name", "moved")
    readonly_fields = fields
    date_hierarchy = "created_at"

    @admin.display(description=_("moved"))
    def moved_summary(self, merge: CustomerMerge) -> str:
        moved = merge.moved or {}
        return str(
            _("identities: %(identities)s, tickets: %(tickets)s, messages: %(messages)s")
            % {
                "identities": moved.get("identities", 0),
                "tickets": moved.get("tickets", 0),
                "messages": moved.get("messages", 0),
            }
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
