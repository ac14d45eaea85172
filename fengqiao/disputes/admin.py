"""Reference data only: dispute types and their time limits (system admin)."""

from django.contrib import admin

from .models import DisputeType


@admin.register(DisputeType)
class DisputeTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "order", "active", "small_hours", "large_hours")
    list_editable = ("order", "active", "small_hours", "large_hours")
    search_fields = ("code", "name")
