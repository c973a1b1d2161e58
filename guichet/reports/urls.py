from django.urls import path

from guichet.reports import views

urlpatterns = [
    path("", views.attainment, name="reports_attainment"),
    path("export.csv", views.export_csv, name="reports_export_csv"),
    path("export.json", views.export_json, name="reports_export_json"),
    path("tickets/<int:pk>/", views.statement, name="reports_statement"),
    path("tickets/<int:pk>.json", views.statement_json, name="reports_statement_json"),
]
