from django.contrib import admin

from .models import Category, LawInstrument, StandardAnswer


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["path"]


@admin.register(StandardAnswer)
class StandardAnswerAdmin(admin.ModelAdmin):
    list_display = ["key", "category", "question", "valid_from", "valid_until"]
    search_fields = ["key", "question", "answer"]


@admin.register(LawInstrument)
class LawInstrumentAdmin(admin.ModelAdmin):
    list_display = ["title", "version_date", "kind", "superseded_from"]
    search_fields = ["title"]
