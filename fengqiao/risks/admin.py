from django.contrib import admin

from .models import RiskCategory


@admin.register(RiskCategory)
class RiskCategoryAdmin(admin.ModelAdmin):
    """Reference data: the risk categories (default 15, editable by the system admin)."""

    list_display = ("code", "name", "order", "active")
    list_editable = ("order", "active")
    search_fields = ("code", "name")
