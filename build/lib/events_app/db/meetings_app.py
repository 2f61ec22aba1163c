from piccolo.conf.apps import AppConfig

from events_app.db import meeting_tables as t
from events_app.db.migrations_path import migrations_folder

APP_CONFIG = AppConfig(
    app_name="meetings",
    migrations_folder_path=migrations_folder("meetings"),
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
