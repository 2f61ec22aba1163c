import os

from piccolo.conf.apps import AppConfig

from events_app.db import meeting_tables as t

APP_CONFIG = AppConfig(
    app_name="meetings",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "..", "..", "migrations", "meetings"),
    table_classes=[
        t.PilotProject,
        t.ProjectCoordinator,
        t.ProjectMember,
        t.ProjectContact,
        t.MeetingSeries,
        t.MeetingAgendaItem,
        t.MeetingOccurrence,
        t.MeetingInvitee,
        t.MeetingRsvp,
        t.MeetingAttendance,
        t.MeetingAction,
        t.PersonCalendar,
        t.InboundReply,
    ],
    migration_dependencies=["events_app.db.piccolo_app"],
    commands=[],
)
