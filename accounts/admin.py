from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from accounts.models import Profile, User


class UserAddForm(AdminUserCreationForm[User]):
    class Meta:
        model = User
        fields = ("email", "role")


class UserEditForm(UserChangeForm[User]):
    class Meta:
        model = User
        fields = "__all__"


class ProfileInline(admin.StackedInline[Profile, User]):
    model = Profile
    can_delete = False


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
        (None, {"fields": ("email", "password")}),
        ("Identity", {"fields": ("display_name", "role")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "role", "usable_password", "password1", "password2")}),
    )

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        # Admins (the role) work in this site; nobody else gets staff rights by accident.
        obj.is_staff = obj.role == "admin" or obj.is_superuser
        super().save_model(request, obj, form, change)
