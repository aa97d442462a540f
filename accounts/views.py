from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import twofactor
from accounts.forms import EmailLoginForm, EnrolCodeForm, LanguageForm, OTPCodeForm, ProfileForm, SignupForm
from accounts.models import User
from accounts.services import profile_of, register_user
from audit.models import Action
from audit.services import record
from msgut.http import AuthenticatedHttpRequest

BACKUP_CODES_SESSION_KEY = "fresh_backup_codes"


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    form_class = EmailLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@login_not_required
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = register_user(
            email=data["email"],
            password=data["password1"],
            display_name=data["display_name"],
            time_zone=data["time_zone"],
            language=data["language"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to msgut. Your account is ready."))
        response = redirect("home")
        response.set_cookie("django_language", data["language"], samesite="Lax")
        return response
    return render(request, "accounts/signup.html", {"form": form})


def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(request.POST or None, instance=profile_of(user=user))
    if request.method == "POST" and form.is_valid():
        form.save()
        user.display_name = form.cleaned_data["display_name"]
        user.save(update_fields=["display_name"])
        messages.success(request, _("Your settings are saved."))
        response = redirect("accounts:profile")
        response.set_cookie("django_language", form.cleaned_data["language"], samesite="Lax")
        return response
    two_factor = None
    if twofactor.needs_second_factor(user):
        two_factor = {"on": twofactor.has_authenticator(user), "backup_left": twofactor.backup_codes_left(user)}
    return render(request, "accounts/profile.html", {"form": form, "two_factor": two_factor})


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
    response = HttpResponseRedirect(target)
    response.set_cookie("django_language", language, samesite="Lax", max_age=365 * 24 * 3600)
    return response


@method_decorator(login_not_required, name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password-reset-done")


@method_decorator(login_not_required, name="dispatch")
class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


@method_decorator(login_not_required, name="dispatch")
class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")


@method_decorator(login_not_required, name="dispatch")
class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    """Changing the password keeps this session and ends every other one."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        response = super().form_valid(form)
        record(action=Action.PASSWORD_CHANGED, request=self.request)
        messages.success(self.request, _("Your password is changed. Other devices have been signed out."))
        return response


def safe_next(request: HttpRequest, candidate: str | None, default: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return default


def two_factor_setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the QR code, type the first code."""
    user = request.user
    if twofactor.has_authenticator(user) and not twofactor.is_verified(user):
        # Only a verified session may replace an authenticator; otherwise a stolen password would do.
        return redirect(f"{reverse('accounts:two-factor-verify')}?next={quote(request.GET.get('next', ''))}")
    if not twofactor.needs_second_factor(user):
        return redirect("accounts:profile")
    device = twofactor.pending_authenticator(user)
    form = EnrolCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if twofactor.confirm_authenticator(request, device, form.cleaned_data["code"]):
            record(action=Action.OTP_ENROLLED, request=request)
            request.session[BACKUP_CODES_SESSION_KEY] = twofactor.new_backup_codes(user)
            messages.success(request, _("Two-factor sign-in is on."))
            return redirect("accounts:two-factor-backup-codes")
        record(action=Action.OTP_FAILED, request=request)
        form.add_error("code", _("That code did not match. Check the time on your phone and type the newest code."))
    context = {
        "form": form,
        "qr": twofactor.qr_data_uri(device.config_url),
        "secret": twofactor.secret_for_humans(device),
        "replacing": twofactor.has_authenticator(user),
    }
    return render(request, "accounts/two_factor_setup.html", context)


def two_factor_verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Second step of sign-in for clinicians and admins."""
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
            return redirect(next_url)
        record(action=Action.OTP_FAILED, request=request)
        form.add_error(
            "code",
            _("That code did not work. Codes change every 30 seconds and each works once; wait for the next one."),
        )
    return render(
        request, "accounts/two_factor_verify.html", {"form": form, "backup_left": twofactor.backup_codes_left(user)}
    )


def two_factor_backup_codes(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show freshly made backup codes once; POST makes a new set (the old ones stop working)."""
    user = request.user
    if not twofactor.needs_second_factor(user):
        return redirect("accounts:profile")
    if request.method == "POST":
        request.session[BACKUP_CODES_SESSION_KEY] = twofactor.new_backup_codes(user)
        messages.success(request, _("New backup codes are ready. The old ones no longer work."))
        return redirect("accounts:two-factor-backup-codes")
    codes = request.session.pop(BACKUP_CODES_SESSION_KEY, None)
    if not codes:
        return redirect("accounts:profile")
    return render(request, "accounts/two_factor_backup_codes.html", {"codes": codes})
