from django.urls import path

from guichet.oncall.views import desk, manage, me

# Mounted at /oncall/ (the desk's screens, the links in pages, the feed).
urlpatterns = [
    path("", desk.week, name="oncall_week"),
    path("now/", desk.now_fragment, name="oncall_now"),
    path("alerts/", desk.alerts, name="oncall_alerts"),
    path("ack/<str:signed>/", desk.ack_link, name="oncall_ack"),
    path("escalations/<int:pk>/ack/", desk.ack_desk, name="oncall_ack_desk"),
    path("me/", me.me, name="oncall_me"),
    path("me/methods/<int:pk>/test/", me.method_test, name="oncall_method_test"),
    path("me/methods/<int:pk>/delete/", me.method_delete, name="oncall_method_delete"),
    path("me/feed/reset/", me.feed_reset, name="oncall_feed_reset"),
    path("feed/<str:token>.ics", me.feed, name="oncall_feed"),
]

# Mounted at /manage/oncall/ (vendor administrators).
manage_patterns = [
    path("", manage.home, name="oncall_manage"),
    path("schedules/new/", manage.schedule_edit, name="oncall_manage_schedule_new"),
    path("schedules/<int:pk>/", manage.schedule_edit, name="oncall_manage_schedule"),
    path(
        "schedules/<int:schedule_pk>/rotations/new/", manage.rotation_edit, name="oncall_manage_rotation_new"
    ),
    path(
        "schedules/<int:schedule_pk>/rotations/<int:pk>/", manage.rotation_edit, name="oncall_manage_rotation"
    ),
    path("rotations/<int:pk>/delete/", manage.rotation_delete, name="oncall_manage_rotation_delete"),
    path("schedules/<int:schedule_pk>/overrides/", manage.override_add, name="oncall_manage_override_add"),
    path("overrides/<int:pk>/delete/", manage.override_delete, name="oncall_manage_override_delete"),
    path("policies/new/", manage.policy_edit, name="oncall_manage_policy_new"),
    path("policies/<int:pk>/", manage.policy_edit, name="oncall_manage_policy"),
    path("levels/<int:pk>/delete/", manage.level_delete, name="oncall_manage_level_delete"),
    path("rules/<str:plan>/<str:priority>/", manage.rule_edit, name="oncall_manage_rule"),
    path("preview/", manage.preview, name="oncall_manage_preview"),
    path("report/", manage.report, name="oncall_report"),
]
