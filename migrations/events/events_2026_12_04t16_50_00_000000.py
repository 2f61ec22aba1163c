"""CHECK constraints for the vocabularies that had none (organization kind and membership, event kind, category
eligibility, question kind). The values are those of the StrEnums in events_app/domain/vocab.py on this date;
tests/integration/test_vocabulary.py fails when an enum and its constraint disagree."""
from events_app.db.raw_migration import statements_migration

ID = "2026-12-04T16:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "vocabulary constraints"

STATEMENTS = [
    "ALTER TABLE organization ADD CONSTRAINT organization_kind CHECK (kind IN ('city', 'town', 'metropolis',"
    " 'region', 'county', 'prefecture', 'municipality', 'national_government', 'international_agency', 'academic',"
    " 'company', 'foundation', 'ngo', 'association'))",
    "ALTER TABLE organization ADD CONSTRAINT organization_membership_status"
    " CHECK (membership_status IN ('active', 'lapsed', 'none'))",
    "ALTER TABLE event ADD CONSTRAINT event_kind CHECK (kind IN ('congress', 'forum', 'meeting', 'webinar'))",
    "ALTER TABLE registration_category ADD CONSTRAINT registration_category_eligibility"
    " CHECK (eligibility IN ('anyone', 'members', 'partners', 'invitation'))",
    "ALTER TABLE question ADD CONSTRAINT question_kind CHECK (kind IN ('short_text', 'long_text', 'single_choice',"
    " 'multiple_choice', 'yes_no', 'country', 'date'))",
]


async def forwards():
    return statements_migration(ID, "events", DESCRIPTION, STATEMENTS)
