from django.contrib import admin
from django.urls import include, path

from guichet.api.api import api
from guichet.oncall import urls as oncall_urls
from guichet.statements.views import public_key

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("django-admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("reports/", include("guichet.reports.urls")),
    path("statements/", include("guichet.statements.urls")),
    path(".well-known/guichet-statement-key", public_key, name="statements_public_key"),
    path("oncall/", include("guichet.oncall.urls")),
    path("manage/oncall/", include(oncall_urls.manage_patterns)),
    path("", include("guichet.ops.urls")),
    path("", include("guichet.web.urls")),
]
