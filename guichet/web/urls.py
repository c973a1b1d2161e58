from django.urls import path

from guichet.web.views import admin, desk, portal, session

urlpatterns = [
    path("", session.home, name="home"),
    path("login/", session.LoginView.as_view(), name="login"),
    path("logout/", session.LogoutView.as_view(), name="logout"),
    # Agent desk
    path("desk/", desk.queue, name="desk_queue"),
    path("desk/views/", desk.save_view, name="desk_save_view"),
    path("desk/views/<int:pk>/delete/", desk.delete_view, name="desk_delete_view"),
    path("desk/search/", desk.search, name="desk_search"),
    path("desk/new/", desk.new_ticket, name="desk_new_ticket"),
    path("desk/tickets/<int:pk>/", desk.ticket_page, name="desk_ticket"),
    path("desk/tickets/<int:pk>/sla/", desk.sla_panel, name="desk_sla_panel"),
    path("desk/tickets/<int:pk>/hint/", desk.hint_fragment, name="desk_hint"),
    path("desk/tickets/<int:pk>/reply/", desk.reply, name="desk_reply"),
    path("desk/tickets/<int:pk>/note/", desk.note, name="desk_note"),
    path("desk/tickets/<int:pk>/call/", desk.log_call, name="desk_call"),
    path("desk/tickets/<int:pk>/status/", desk.change_status, name="desk_status"),
    path("desk/tickets/<int:pk>/assign/", desk.assign, name="desk_assign"),
    path("desk/tickets/<int:pk>/raise/", desk.raise_priority, name="desk_raise"),
    path("desk/tickets/<int:pk>/downgrade/", desk.downgrade, name="desk_downgrade"),
    path("desk/tickets/<int:pk>/contact/", desk.contact_attempt, name="desk_contact"),
    # Attachments (agents and customers, through the tenancy rule)
    path("attachments/<int:pk>/", portal.attachment, name="attachment"),
    # Customer portal
    path("portal/", portal.tickets, name="portal_tickets"),
    path("portal/new/", portal.new_ticket, name="portal_new"),
    path("portal/new/due/", portal.due_fragment, name="portal_due"),
    path("portal/tickets/<int:pk>/", portal.ticket_page, name="portal_ticket"),
    path("portal/tickets/<int:pk>/reply/", portal.reply, name="portal_reply"),
    path("portal/plan/", portal.plan, name="portal_plan"),
    # Administration
    path("manage/", admin.home, name="manage_home"),
    path("manage/organisations/new/", admin.organisation_edit, name="manage_organisation_new"),
    path("manage/organisations/<int:pk>/", admin.organisation_edit, name="manage_organisation"),
    path(
        "manage/organisations/<int:organisation_pk>/contracts/new/",
        admin.contract_edit,
        name="manage_contract_new",
    ),
    path("manage/contracts/<int:pk>/", admin.contract_edit, name="manage_contract"),
    path("manage/contracts/<int:pk>/holidays/", admin.holiday_add, name="manage_holiday_add"),
    path("manage/holidays/<int:pk>/delete/", admin.holiday_delete, name="manage_holiday_delete"),
    path("manage/contracts/<int:pk>/calendar/", admin.calendar_preview, name="manage_calendar"),
    path("manage/people/", admin.people, name="manage_people"),
    path("manage/people/new/", admin.person_edit, name="manage_person_new"),
    path("manage/people/<int:pk>/", admin.person_edit, name="manage_person"),
]
