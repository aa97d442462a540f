"""Accounts in the admin: identity and role, never health fields, never a password chosen by an admin."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from accounts import twofactor
from accounts.models import Profile, User
from accounts.services import end_sessions, send_set_password_link
from audit.models import Action
from audit.services import record


class UserAddForm(forms.ModelForm[User]):
    """A new account has no password: its owner chooses one from the link emailed to them."""

    class Meta:
        model = User
        fields = ("email", "display_name", "role")

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this email already exists."))
        return email

    def save(self, commit: bool = True) -> User:
        user: User = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
        return user


class UserEditForm(UserChangeForm[User]):
    class Meta:
        model = User
        exclude = ("password",)


class ProfileInline(admin.StackedInline[Profile, User]):
    """Preferences only: the MS course and diagnosis year are health data, which admins do not see."""

    model = Profile
    can_delete = False
    fields = ("time_zone", "language")


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    form = UserEditForm
    add_form = UserAddForm
    ordering = ("email",)
    list_display = ("email", "display_name", "role", "is_active", "last_login")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("email", "display_name")
    inlines = (ProfileInline,)
    fieldsets = (
        (None, {"fields": ("email",)}),
        (_("Identity"), {"fields": ("display_name", "role")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "display_name", "role")}),)
    actions = ("send_link", "sign_out_everywhere", "reset_two_factor")

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        # Admins (the role) work in this site; nobody else gets staff rights by accident.
        obj.is_staff = obj.role == "admin" or obj.is_superuser
        super().save_model(request, obj, form, change)
        if not change:
            self._send_link(request, obj)
        elif not obj.is_active:
            end_sessions(user=obj)

    def get_inline_instances(self, request, obj=None):  # type: ignore[no-untyped-def]
        # A new account's preferences are made on first use (accounts.services.profile_of).
        return super().get_inline_instances(request, obj) if obj is not None else []

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        # An admin never knows or chooses someone's password; the owner resets it by email.
        raise PermissionDenied

    def _send_link(self, request: HttpRequest, user: User) -> None:
        send_set_password_link(user=user)
        record(action=Action.SET_PASSWORD_LINK, request=request, what=f"user {user.pk}")

    @admin.action(description=_("Email a new set-password link"))
    def send_link(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset.filter(is_active=True):
            self._send_link(request, user)
        self.message_user(request, _("Set-password links sent."), messages.SUCCESS)

    @admin.action(description=_("Sign out everywhere"))
    def sign_out_everywhere(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            end_sessions(user=user)
            record(action=Action.SESSIONS_ENDED, request=request, what=f"user {user.pk} by admin")
        self.message_user(request, _("Their sessions are ended."), messages.SUCCESS)

    @admin.action(description=_("Reset two-factor sign-in (after checking who asks)"))
    def reset_two_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        # Removes the devices; it never enrols one. The owner sets up a new app at their next sign-in.
        for user in queryset:
            twofactor.turn_off(user)
            end_sessions(user=user)
            record(action=Action.OTP_TURNED_OFF, request=request, what=f"user {user.pk} by admin")
        self.message_user(request, _("Two-factor sign-in reset; they set it up again at their next sign-in."))
