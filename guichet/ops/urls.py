from django.urls import path

from guichet.ops import health

urlpatterns = [
    path("health/", health.probe, name="health"),
    path("manage/health/", health.page, name="manage_health"),
    path("manage/health/retry/", health.retry_failed, name="manage_health_retry"),
]
