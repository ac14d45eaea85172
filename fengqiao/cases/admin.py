from django.contrib import admin

from .models import Category, DispatchRule


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "parent", "urgency", "allow_anonymous", "active", "sort")
    list_filter = ("urgency", "allow_anonymous", "active")
    search_fields = ("code", "name")


@admin.register(DispatchRule)
class DispatchRuleAdmin(admin.ModelAdmin):
    list_display = ("category", "place", "department", "team", "auto_dispatch")
    list_filter = ("auto_dispatch",)
    autocomplete_fields = ()
