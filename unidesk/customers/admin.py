"""Administration of customers and their identities."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from unidesk.customers.models import Customer, Identity


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
