from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import reauth, selectors, twofactor
from accounts.forms import (
    EmailLoginForm,
    EnrolCodeForm,
    LanguageForm,
    OTPCodeForm,
    ProfileForm,
    ReauthForm,
    ResetForm,
    SessionEndForm,
    SignupForm,
    ThrottledPasswordChangeForm,
)
from accounts.models import User
from accounts.services import end_sessions, profile_of, register_user
from audit.models import Action
from audit.services import record
from msgut.http import AuthenticatedHttpRequest

BACKUP_CODES_SESSION_KEY = "fresh_backup_codes"
# What a browser is told to forget at sign-out: cached pages and the origin's storage (service
# worker caches, IndexedDB, localStorage). Not "cookies": that would reach every subdomain of the
# registrable domain; our own session cookie is deleted with the session anyway.
CLEAR_SITE_DATA = '"cache", "storage"'


def remember_language(response: HttpResponse, language: str) -> HttpResponse:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        samesite="Lax",
    )
    return response


def forget_this_device(response: HttpResponse) -> HttpResponse:
    response["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    form_class = EmailLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """Sign-out ends the session on the server and tells the browser to drop what it kept of ours."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return forget_this_device(super().post(request, *args, **kwargs))


@login_not_required
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    language = translation.get_language() or "en"
    form = SignupForm(request.POST or None, default_language=language.split("-")[0])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = register_user(
            email=data["email"],
            password=data["password1"],
            display_name=data["display_name"],
            time_zone=data["time_zone"],
            language=data["language"],
        )
        login(request, user, backend="accounts.backends.UserWithProfileBackend")
        messages.success(request, _("Welcome to msgut. Your account is ready."))
        return remember_language(redirect("home"), data["language"])
    return render(request, "accounts/signup.html", {"form": form})


def security_context(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    """What the settings page's security section shows: two-factor state and the active sessions."""
    user = request.user
    on = twofactor.has_authenticator(user)
    return {
        "two_factor": {
            "on": on,
            "required": twofactor.required_for(user),
            "backup_left": twofactor.backup_codes_left(user) if on else 0,
        },
        "sessions": selectors.active_sessions(user, request.session.session_key),
    }


def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(request.POST or None, instance=profile_of(user=user))
    if request.method == "POST" and form.is_valid():
        form.save()
        user.display_name = form.cleaned_data["display_name"]
        user.save(update_fields=["display_name"])
        messages.success(request, _("Your settings are saved."))
        return remember_language(redirect("accounts:profile"), form.cleaned_data["language"])
    return render(request, "accounts/profile.html", {"form": form, **security_context(request)})


@login_not_required
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; remembered in a cookie and, when signed in, the profile."""
    form = LanguageForm(request.POST)
    target = "/"
    if not form.is_valid():
        return redirect(target)
    next_url = form.cleaned_data["next"]
    if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        target = next_url
    language = form.cleaned_data["language"]
    user = request.user
    if isinstance(user, User):
        settings_row = profile_of(user=user)
        settings_row.language = language
        settings_row.save(update_fields=["language"])
    return remember_language(HttpResponseRedirect(target), language)


@method_decorator(login_not_required, name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    form_class = ResetForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password-reset-done")


@method_decorator(login_not_required, name="dispatch")
class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


@method_decorator(login_not_required, name="dispatch")
class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Choosing a new password from a reset link, or the first one from an admin-made account's link."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")


@method_decorator(login_not_required, name="dispatch")
class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    """Changing the password keeps this session and ends every other one."""

    form_class = ThrottledPasswordChangeForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        response = super().form_valid(form)
        record(action=Action.PASSWORD_CHANGED, request=self.request)
        messages.success(self.request, _("Your password is changed. Other devices have been signed out."))
        return response


def safe_next(request: HttpRequest, candidate: str | None, default: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return default


@require_http_methods(["GET", "POST"])
def confirm_password(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Re-authentication before changing how one signs in or ending sessions (accounts.reauth)."""
    user = request.user
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"), reverse("accounts:profile"))
    with_code = twofactor.has_authenticator(user)
    form = ReauthForm(request.POST or None, request=request, user=user, with_code=with_code, initial={"next": next_url})
    if request.method == "POST" and form.is_valid():
        reauth.mark_recent(request)
        record(action=Action.REAUTHENTICATED, request=request)
        return redirect(next_url)
    return render(request, "accounts/confirm_password.html", {"form": form, "with_code": with_code})


@require_http_methods(["GET", "POST"])
@reauth.recent_auth_required()
def two_factor_setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Enrol an authenticator app (or move to a new one): scan the QR code, type the first code."""
    user = request.user
    replacing = twofactor.has_authenticator(user)
    if replacing and not twofactor.is_verified(user):
        # Only a verified session may replace an authenticator; otherwise a stolen password would do.
        return redirect(f"{reverse('accounts:two-factor-verify')}?next={quote(request.GET.get('next', ''))}")
    device = twofactor.pending_authenticator(user)
    form = EnrolCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if twofactor.confirm_authenticator(request, device, form.cleaned_data["code"]):
            record(action=Action.OTP_REPLACED if replacing else Action.OTP_ENROLLED, request=request)
            request.session[BACKUP_CODES_SESSION_KEY] = twofactor.new_backup_codes(user)
            record(action=Action.BACKUP_CODES_ISSUED, request=request)
            # A new second factor shuts out whoever may have used the old one.
            end_sessions(user=user, keep_key=request.session.session_key)
            messages.success(request, _("Two-factor sign-in is on. Other devices have been signed out."))
            return redirect("accounts:two-factor-backup-codes")
        record(action=Action.OTP_FAILED, request=request)
        form.add_error("code", _("That code did not match. Check the time on your phone and type the newest code."))
    context = {
        "form": form,
        "qr": twofactor.qr_data_uri(device.config_url),
        "secret": twofactor.secret_for_humans(device),
        "replacing": replacing,
        "required": twofactor.required_for(user),
    }
    return render(request, "accounts/two_factor_setup.html", context)


def two_factor_verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Second step of sign-in for everyone with two-factor sign-in."""
    user = request.user
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"), reverse("home"))
    if twofactor.is_verified(user):
        return redirect(next_url)
    if not twofactor.has_authenticator(user):
        return redirect(f"{reverse('accounts:two-factor-setup')}?next={quote(next_url)}")
    form = OTPCodeForm(request.POST or None, initial={"next": next_url})
    if request.method == "POST" and form.is_valid():
        if twofactor.verify_code(request, form.cleaned_data["code"]):
            record(action=Action.OTP_VERIFIED, request=request)
            # A new session key once the second factor is proven, as at password sign-in.
            request.session.cycle_key()
            reauth.mark_recent(request)
            return redirect(next_url)
        record(action=Action.OTP_FAILED, request=request)
        form.add_error(
            "code",
            _("That code did not work. Codes change every 30 seconds and each works once; wait for the next one."),
        )
    return render(
        request, "accounts/two_factor_verify.html", {"form": form, "backup_left": twofactor.backup_codes_left(user)}
    )


@require_http_methods(["GET", "POST"])
@reauth.recent_auth_required(back_to="accounts:profile")
def two_factor_backup_codes(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show freshly made backup codes once; POST makes a new set (the old ones stop working)."""
    user = request.user
    if not twofactor.has_authenticator(user):
        return redirect("accounts:profile")
    if request.method == "POST":
        request.session[BACKUP_CODES_SESSION_KEY] = twofactor.new_backup_codes(user)
        record(action=Action.BACKUP_CODES_ISSUED, request=request)
        messages.success(request, _("New backup codes are ready. The old ones no longer work."))
        return redirect("accounts:two-factor-backup-codes")
    codes = request.session.pop(BACKUP_CODES_SESSION_KEY, None)
    if not codes:
        return redirect("accounts:profile")
    return render(request, "accounts/two_factor_backup_codes.html", {"codes": codes})


@require_POST
@reauth.recent_auth_required(back_to="accounts:profile")
def two_factor_off(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Patients may turn two-factor sign-in off again; clinicians and admins may not."""
    user = request.user
    if twofactor.required_for(user):
        messages.error(request, _("Your account needs two-factor sign-in. You can move it to a new phone instead."))
        return redirect("accounts:profile")
    twofactor.turn_off(user)
    request.session[twofactor.TWO_FACTOR_SESSION_KEY] = False
    record(action=Action.OTP_TURNED_OFF, request=request)
    messages.success(request, _("Two-factor sign-in is off. Your password alone now signs you in."))
    return redirect(reverse("accounts:profile") + "#security-heading")


@require_POST
@reauth.recent_auth_required(back_to="accounts:profile")
def end_session(request: AuthenticatedHttpRequest) -> HttpResponse:
    """End one of my other sessions (this one ends with "Sign out")."""
    form = SessionEndForm(request.POST)
    ended = 0
    if form.is_valid():
        ended = end_sessions(
            user=request.user, keep_key=request.session.session_key, only_id=form.cleaned_data["session"]
        )
    if ended:
        record(action=Action.SESSIONS_ENDED, request=request, what="accounts:end-session")
        messages.success(request, _("Signed out on that device."))
    else:
        messages.info(request, _("That session had already ended."))
    return redirect(reverse("accounts:profile") + "#sessions-heading")


@require_POST
@reauth.recent_auth_required(back_to="accounts:profile")
def end_other_sessions(request: AuthenticatedHttpRequest) -> HttpResponse:
    ended = end_sessions(user=request.user, keep_key=request.session.session_key)
    record(action=Action.SESSIONS_ENDED, request=request, what=f"accounts:end-other-sessions ({ended})")
    messages.success(request, _("Signed out everywhere else."))
    return redirect(reverse("accounts:profile") + "#sessions-heading")
