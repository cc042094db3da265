"""Agents (the people who answer), the groups they work in, and their API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from unidesk.core.calendar import BusinessCalendar
from unidesk.core.errors import ValidationFailed


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    SUPERVISOR = "supervisor", _("Supervisor")
    AGENT = "agent", _("Agent")
    TRAINEE = "trainee", _("Trainee")


class BusinessHours(models.Model):
    """A working schedule: weekly periods in a time zone, and holidays. Groups without one
    work around the clock."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Moscow")
    weekly = models.JSONField(
        _("weekly schedule"),
        default=dict,
        help_text=_('Working periods per day, e.g. {"mon": ["09:00-18:00"], …}.'),
    )
    holidays = models.JSONField(
        _("holidays"), default=list, blank=True, help_text=_("Dates as YYYY-MM-DD.")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")

    def __str__(self) -> str:
        return self.name

    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar.from_spec(
            time_zone=self.time_zone, weekly=self.weekly, holidays=self.holidays
        )

    def clean(self) -> None:
        try:
            self.calendar()
        except ValidationFailed as exc:
            raise DjangoValidationError(exc.message) from exc


class Group(models.Model):
    """A team that owns a kind of question: general, technical, billing, refunds…"""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    first_reply_target_minutes = models.PositiveIntegerField(
        _("first reply target (minutes)"),
        default=120,
        help_text=_("How soon this group aims to answer a new conversation."),
    )
    business_hours = models.ForeignKey(
        BusinessHours,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="groups",
        verbose_name=_("business hours"),
        help_text=_("Empty: the group works around the clock."),
    )
    is_default = models.BooleanField(
        _("default group"),
        default=False,
        help_text=_("New conversations from a channel without its own group land here."),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("group")
        verbose_name_plural = _("groups")

    def __str__(self) -> str:
        return self.name


class AgentManager(BaseUserManager["Agent"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> Agent:
        agent = self.model(email=self.normalize_email(email).lower(), **fields)
        agent.set_password(password)
        agent.save()
        return agent

    def get_by_natural_key(self, username: str | None) -> Agent:
        # Addresses are stored lower-case; people type them however they like.
        return self.get(email__iexact=(username or "").strip())

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> Agent:
        fields["role"] = Role.ADMIN
        return self.create_user(email, password, **fields)


class Agent(AbstractBaseUser):
    """A person who works tickets. Permissions follow from ``role`` and group membership
    (see ``tickets.selectors.tickets_visible_to``)."""

    email = models.EmailField(_("email"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.AGENT)
    is_active = models.BooleanField(_("active"), default=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    date_joined = models.DateTimeField(default=timezone.now)
    groups = models.ManyToManyField(
        Group, through="Membership", related_name="members", blank=True, verbose_name=_("groups")
    )

    objects = AgentManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []  # type: ignore[misc]

    class Meta:
        ordering = ["name", "email"]
        verbose_name = _("agent")
        verbose_name_plural = _("agents")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.email.split("@")[0]

    @property
    def sees_all_tickets(self) -> bool:
        return self.role in (Role.ADMIN, Role.SUPERVISOR)

    # Django admin asks these; only administrators manage the desk's configuration.
    @property
    def is_staff(self) -> bool:
        return self.is_active and self.role == Role.ADMIN

    @property
    def is_superuser(self) -> bool:
        return self.is_staff

    def has_perm(self, perm: str, obj: object | None = None) -> bool:
        return self.is_staff

    def has_perms(self, perm_list: Any, obj: object | None = None) -> bool:
        return self.is_staff

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_staff


class Membership(models.Model):
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE)
    group = models.ForeignKey(Group, on_delete=models.CASCADE)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agent", "group"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.agent} in {self.group}"


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 of it is stored; it is shown once at creation."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=120, blank=True)
    prefix = models.CharField(max_length=16, help_text=_("First characters, to recognise it."))
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.agent})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
