"""Service messages written for API clients reach people in words, in their language, never naming a route."""

from __future__ import annotations

import pytest

from events_app.web.pages import wording
from events_app.web.pages.i18n import UI_LANGUAGES, catalog, translate


def in_language(language: str, text: str) -> str:
    """A text as a page shows it: translated, with the values of a PageText (themselves translated) filled in."""
    if isinstance(text, wording.PageText):
        values = {k: in_language(language, v) if isinstance(v, wording.PageText) else v for k, v in text.values.items()}
        return translate(language, text.template, **values)
    return translate(language, text)


def shown(language: str, message: str) -> str:
    return in_language(language, wording.human(message))


@pytest.mark.parametrize(
    ("message", "english", "spanish"),
    [
        (
            'accept the privacy policy (version 3) by sending "consent": true; we keep your data for the event',
            "Tick the box to accept the privacy policy.",
            "Marque la casilla para aceptar la política de privacidad.",
        ),
        (
            "this category is for members of the network: give the id of your organization",
            "This category is only for members of the network: choose your organization (a city or region).",
            "Esta categoría es solo para miembros de la red: elija su organización (una ciudad o región).",
        ),
        ("must be one of plenary, panel, workshop", "Choose one of the options.", "Elija una de las opciones."),
        (
            "the room is taken by 'Housing workshop' at that time",
            "The room is taken by “Housing workshop” at that time.",
            "La sala está ocupada por «Housing workshop» a esa hora.",
        ),
        (
            "must not be above the room's capacity (40)",
            "must not be above the room's capacity (40)",
            "no debe superar la capacidad de la sala (40)",
        ),
        # events and categories
        (
            "21 people are already confirmed; cancel registrations first or choose a capacity at least that high",
            "21 people are already confirmed: choose a capacity of at least 21, or cancel registrations first.",
            "Ya hay 21 personas confirmadas: elija un aforo de al menos 21 o cancele antes algunas inscripciones.",
        ),
        (
            "a cancelled event cannot be published again",
            "This event is cancelled and cannot be published again.",
            "Este evento está cancelado y no se puede volver a publicar.",
        ),
        (
            "your account does not organize this event",
            "Your account is not one of the organizers of this event.",
            "Su cuenta no está entre las que organizan este evento.",
        ),
        (
            "category code 'press_team' is already used in this event",
            "This event already has a category with this code: choose another code.",
            "Este evento ya tiene una categoría con este código: elija otro código.",
        ),
        (
            "a choice question needs at least two different options",
            "A question with choices needs at least two different options, one per line.",
            "Una pregunta con opciones necesita al menos dos opciones distintas, una por línea.",
        ),
        # agenda: sessions, rooms, speakers
        (
            "30 people have booked this session; the room or capacity chosen holds 20: drop bookings first or choose a "
            "larger one",
            "30 people have booked this session, but the room or number of places chosen holds only 20: choose a "
            "larger room or more places.",
            "30 personas han reservado esta sesión, pero la sala o el número de plazas elegido solo admite 20: elija "
            "una sala más grande o más plazas.",
        ),
        (
            "sessions in this room hold more people: 'Opening plenary' (id 12)",
            "“Opening plenary” in this room has more places than that: lower its places first, or move it to another "
            "room.",
            "«Opening plenary», en esta sala, tiene más plazas que eso: reduzca antes sus plazas o muévala a otra sala.",
        ),
        (
            "sessions in this room hold more people: 'Opening plenary' (id 12); 'Water panel' (id 14)",
            "“Opening plenary” and other sessions in this room have more places than that: lower their places first, "
            "or move them to another room.",
            "«Opening plenary» y otras sesiones de esta sala tienen más plazas que eso: reduzca antes sus plazas o "
            "muévalas a otra sala.",
        ),
        (
            "the session conflicts with the agenda: the room is taken by 'Opening' at that time",
            "This session would clash with others in the agenda: change its time, its room or its people.",
            "Esta sesión coincidiría con otras del programa: cambie su hora, su sala o sus participantes.",
        ),
        (
            "this session is cancelled; set status to 'published' or 'draft' to change it",
            "This session is cancelled: publish it again, or make it a draft, before changing it.",
            "Esta sesión está cancelada: vuelva a publicarla o pásela a borrador antes de cambiarla.",
        ),
        # registrations, invitations, access codes, delegations
        (
            "only pending or waitlisted registrations can be rejected; this one is confirmed (cancel it instead)",
            "Only registrations waiting for approval or on the waiting list can be rejected: cancel this one instead.",
            "Solo se pueden rechazar las inscripciones pendientes de aprobación o en lista de espera: cancele esta en "
            "su lugar.",
        ),
        (
            "registration not found",
            "This registration is no longer in this event: reload the list.",
            "Esta inscripción ya no está en este evento: vuelva a cargar la lista.",
        ),
        (
            "code 'SPRING-27' already exists for this event",
            "This event already has the access code SPRING-27: choose another one.",
            "Este evento ya tiene el código de acceso SPRING-27: elija otro.",
        ),
        ("must be in the future", "must be in the future", "debe ser una fecha futura"),
        (
            "3 members are registered; choose at least 3",
            "3 members are registered; choose at least 3",
            "miembros inscritos: 3; elija al menos 3",
        ),
        (
            "registration opens at 2027-01-04T08:00:00+00:00",
            "Registration opens on 2027-01-04 at 08:00 (UTC).",
            "Las inscripciones se abren el 04/01/2027 a las 08:00 (UTC).",
        ),
        # check-in and announcements
        (
            "your account is not check-in staff of this event",
            "Your account is not on the check-in staff of this event: ask its organizers to add you.",
            "Su cuenta no forma parte del personal de acreditación de este evento: pida a la organización que la añada.",
        ),
        (
            "this announcement has already been sent",
            "This announcement has already been sent.",
            "Este anuncio ya se ha enviado.",
        ),
        (
            "give the delegation's numeric id",
            "Choose the delegation that receives the announcement.",
            "Elija la delegación que recibe el anuncio.",
        ),
        # meetings of pilot projects: series, occurrences, records, cohort
        (
            "this project is cancelled: no new meetings can start in it",
            "This pilot project is cancelled: no new meetings can be created in it.",
            "Este proyecto piloto está cancelado: ya no se pueden crear reuniones en él.",
        ),
        (
            "overlaps occurrence 20270406T120000Z of the same series; move or cancel that one first",
            "overlaps occurrence 2027-04-06 at 12:00 UTC of this series: move or cancel that meeting first",
            "se solapa con la reunión del 06/04/2027 a las 12:00 UTC de esta serie: mueva o cancele antes esa reunión",
        ),
        (
            "the rule yields more than 200 occurrences: lower COUNT or an earlier UNTIL",
            "These repeat settings give more than 200 meetings: choose fewer meetings or an earlier date for the last "
            "one.",
            "Esta repetición da más de 200 reuniones: elija menos reuniones o una fecha anterior para la última.",
        ),
        (
            "people [12, 14] were never invited to this series",
            "Only people invited to this series can be recorded as present.",
            "Solo se puede registrar como presentes a las personas invitadas a esta serie.",
        ),
        (
            "line 3: the minutes must be a whole number",
            "line 3: the minutes must be a whole number",
            "línea 3: los minutos deben ser un número entero",
        ),
        (
            "this organization is not in the cohort: add it first with POST /api/projects/{id}/members",
            "This organization is not in the cohort yet: add it to the cohort first.",
            "Esta organización aún no está en la cohorte: añádala antes a la cohorte.",
        ),
        # passwords and limits
        (
            "is one of the most common passwords and would be guessed quickly; choose another",
            "is one of the most common passwords and would be guessed quickly; choose another one",
            "es una de las contraseñas más comunes y se adivinaría enseguida; elija otra",
        ),
        (
            "too many password reset requests from your address; try again in 120 s",
            "Too many attempts: try again in 120 seconds.",
            "Demasiados intentos: inténtelo de nuevo dentro de 120 segundos.",
        ),
    ],
)
def test_service_messages_are_shown_in_words_in_each_language(message, english, spanish):
    assert (shown("en", message), shown("es", message)) == (english, spanish)


@pytest.mark.parametrize(
    ("detail", "english", "spanish"),
    [
        (
            "category: unknown category 'press' in this event",
            "Choose a category from the list.",
            "Elija una categoría de la lista.",
        ),
        (
            "ends_at: must be after starts_at; capacity: must not be above the room's capacity (40)",
            "Ends: must be after the start; Places: must not be above the room's capacity (40)",
            "Termina: debe ser posterior al inicio; Plazas: no debe superar la capacidad de la sala (40)",
        ),
        (
            "person_ids: people [12] were never invited to this series",
            "Only people invited to this series can be recorded as present.",
            "Solo se puede registrar como presentes a las personas invitadas a esta serie.",
        ),
    ],
)
def test_a_detail_naming_fields_shows_each_problem_in_words(detail, english, spanish):
    """An action's refused input shows its detail ("<field>: <problem>; ..."): the problems, under the field's label
    when the words need one, never the field's name as the API spells it."""
    assert (shown("en", detail), shown("es", detail)) == (english, spanish)


def test_an_unknown_message_loses_the_route_it_names():
    message = "add at least one registration category before publishing (POST /api/events/{id}/categories)"
    assert "/api/" not in shown("en", message)
    other = "this contact is not ready yet: invite it first with POST /api/projects/{id}/contacts"
    assert wording.human(other) == "this contact is not ready yet: invite it first"


def test_every_wording_rule_is_translated():
    texts = {text for _, text in wording.RULES} | set(wording.FIELD_LABELS.values())
    texts |= {"{field}: {problem}", "{first}; {then}"}
    for code in UI_LANGUAGES:
        if code != "en":
            assert sorted(texts - catalog(code).keys()) == []
