from django.urls import path

from guichet.statements import views

urlpatterns = [
    path("", views.statement_list, name="statements_list"),
    path("<int:pk>/", views.statement_detail, name="statements_detail"),
    path("<int:pk>.json", views.statement_json, name="statements_json"),
    path("<int:pk>.pdf", views.statement_pdf, name="statements_pdf"),
]
