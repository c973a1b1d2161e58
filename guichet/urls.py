from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("django-admin/", admin.site.urls),
    path("reports/", include("guichet.reports.urls")),
    path("", include("guichet.web.urls")),
]
