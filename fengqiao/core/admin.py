from django.contrib import admin

from .models import ApiKey, AuditEvent, PeriodicJob


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "username", "ip", "action", "target_type", "target_id", "result")
    list_filter = ("action", "result")
    search_fields = ("username", "target_id", "request_id")
    date_hierarchy = "at"


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "user", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("name", "prefix", "key_hash", "user", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False  # keys are created with `fengqiao apikey create`, which prints them once


@admin.register(PeriodicJob)
class PeriodicJobAdmin(ReadOnlyAdmin):
    list_display = ("name", "next_run_at", "last_run_at")
