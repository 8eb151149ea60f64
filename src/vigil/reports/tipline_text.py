"""The public tip line's words in English and Spanish, and choosing between them.

Every string a tipster can see is here, once per language (a test checks that both
languages have the same keys and placeholders). Strings are plain text: templates
escape them like any other value.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class Language(StrEnum):
    EN = "en"
    ES = "es"

    @property
    def other(self) -> Language:
        return Language.ES if self is Language.EN else Language.EN


DEFAULT_LANGUAGE = Language.EN

ENGLISH: dict[str, str] = {
    "language_name": "English",
    "site_name": "Tip line",
    "skip": "Skip to main content",
    "danger_now": "If anyone is in danger right now, call 911.",
    "footer": "This site keeps no tracking cookies and loads nothing from other sites. "
    "Your tip goes to the agency responsible for the place or school it is about.",
    "optional": "(optional)",
    "demo_mode": "Demo mode: do not enter real information.",
    "language_switch": "Language",
    "error_heading": "There is a problem",
    # The tip form.
    "form_title": "Report a concern",
    "form_intro": "Tell us about a threat, or about someone whose behavior worries you. "
    "You do not have to give your name.",
    "form_after": "When you send your tip you get a receipt number and a follow-up code. "
    "With the code you can come back, read questions from an analyst and answer them, "
    "and still stay anonymous.",
    "narrative_label": "What did you see, hear or read?",
    "narrative_hint": "Say who, what, when and where, and what was said or posted, "
    "in your own words.",
    "location_label": "Where did it happen, or where could it happen?",
    "location_hint": "A town, an address or a place.",
    "school_label": "Which school, if a school is involved?",
    "person_legend": "The person you are concerned about",
    "person_hint": "Fill in what you know, or leave it empty.",
    "given_name_label": "First name",
    "family_name_label": "Last name",
    "aliases_label": "Nicknames",
    "handles_label": "Social-media accounts, usernames or gamer tags",
    "list_hint": "Separate several with commas.",
    "age_label": "Age",
    "age_hint": "A number, if you know it.",
    "person_school_label": "School or workplace",
    "description_label": "Description",
    "description_hint": "Appearance, vehicle, anything else that helps.",
    "contact_legend": "How to reach you",
    "contact_hint": "Leave these empty to stay anonymous. If you fill them in, only the "
    "people handling your tip can see them.",
    "contact_name_label": "Your name",
    "phone_label": "Phone",
    "email_label": "E-mail",
    "files_label": "Photos, videos, screenshots or documents",
    "files_hint": "Up to {count} files of at most {megabytes} MB each: images (JPEG, PNG, "
    "GIF, WebP, HEIC), PDF, video (MP4, MOV, WebM) or plain text.",
    "trap_label": "Leave this field empty",
    "submit_tip": "Send tip",
    # Problems with the form.
    "error_narrative_required": "Describe what you saw, heard or read.",
    "error_too_long": "Use at most {limit} characters here.",
    "error_age": "Enter the age as a whole number from 0 to 120, or leave it empty.",
    "error_email": "Enter an e-mail address like name@example.com, or leave it empty.",
    "error_phone": "Enter a phone number with digits, spaces and + - ( ) only, or leave it empty.",
    "error_unreadable": "Remove the unusual invisible characters from this field.",
    "error_too_many_files": "Attach at most {count} files.",
    "error_person": "Add a name, a nickname, an account, a school or workplace or a "
    "description for this person, or leave the age empty too.",
    "error_too_many": "Give at most {limit} entries here.",
    "error_invalid": "Check what you entered here.",
    "file_number": "File {number}",
    "error_file": "{name}: {reason}",
    "file_empty": "The file is empty.",
    "file_too_large": "The file is larger than the {megabytes} MB limit.",
    "file_refused": "This kind of file is not accepted. Accepted files: images, PDF, "
    "video and plain text.",
    "files_not_kept": "Nothing was saved. Choose your files again after correcting this.",
    # The receipt.
    "receipt_title": "Thank you. Your tip was received.",
    "receipt_stored": "Your tip is saved. Keep these two things:",
    "receipt_number_label": "Receipt number",
    "receipt_number_hint": "Quote it if you call us about this tip.",
    "code_label": "Follow-up code",
    "code_warning": "Write this code down or save it now. It is shown only this once "
    "and nobody can look it up later: we keep only a scrambled form of it.",
    "code_use": "To read questions from an analyst and answer them, go to the follow-up page "
    "and enter this code. You stay anonymous.",
    "code_reissued": "This tip had already reached us, so it was not saved twice. A new "
    "follow-up code was made for it: any code shown before no longer works.",
    "followup_link": "Go to the follow-up page",
    "another_tip": "Send another tip",
    # Following up.
    "followup_title": "Follow up on your tip",
    "followup_intro": "Enter the follow-up code you got when you sent your tip to read "
    "questions from an analyst and answer them.",
    "code_input_label": "Follow-up code",
    "code_input_hint": "Like ABCDE-FGHJK-MNPQR-STVWX. Capital letters and dashes do not matter.",
    "show_messages": "Show messages",
    "error_code": "We could not find a tip with that code. Check the code and try again. "
    "Tips are kept only for a limited time, so an older tip may no longer be held.",
    "purged": "This tip is no longer held: under the rules for how long tips are kept, "
    "it was deleted with its messages.",
    "conversation_title": "Tip {receipt}",
    "sent_on": "Sent {when}",
    "messages_heading": "Messages",
    "no_messages": "There are no questions for you yet. Please check again later.",
    "from_agency": "Analyst",
    "from_tipster": "You",
    "reply_label": "Your answer",
    "reply_hint": "Do not include anything that could identify you unless you want to.",
    "send_reply": "Send answer",
    "reply_sent": "Your answer was sent.",
    "error_reply_required": "Write your answer.",
    "leave": "Done: leave this page",
    # Too many requests (the page shows both languages).
    "limited_title": "Too many attempts",
    "limited_body": "Too many tips or follow-up attempts came from your connection. "
    "Please wait {minutes} minutes and try again.",
}

SPANISH: dict[str, str] = {
    "language_name": "Español",
    "site_name": "Línea de denuncias",
    "skip": "Saltar al contenido principal",
    "danger_now": "Si alguien está en peligro ahora mismo, llame al 911.",
    "footer": "Este sitio no usa cookies de seguimiento ni carga nada de otros sitios. "
    "Su denuncia llega a la agencia responsable del lugar o de la escuela de que se trata.",
    "optional": "(opcional)",
    "demo_mode": "Modo de demostración: no escriba información real.",
    "language_switch": "Idioma",
    "error_heading": "Hay un problema",
    "form_title": "Reportar una preocupación",
    "form_intro": "Cuéntenos sobre una amenaza o sobre alguien cuyo comportamiento le "
    "preocupa. No tiene que dar su nombre.",
    "form_after": "Al enviar su denuncia recibirá un número de recibo y un código de "
    "seguimiento. Con el código puede volver, leer las preguntas de un analista y "
    "contestarlas, sin dejar de ser anónimo.",
    "narrative_label": "¿Qué vio, oyó o leyó?",
    "narrative_hint": "Diga quién, qué, cuándo y dónde, y qué se dijo o publicó, "
    "con sus propias palabras.",
    "location_label": "¿Dónde pasó, o dónde podría pasar?",
    "location_hint": "Una ciudad, una dirección o un lugar.",
    "school_label": "¿Qué escuela, si hay una escuela involucrada?",
    "person_legend": "La persona que le preocupa",
    "person_hint": "Complete lo que sepa, o déjelo en blanco.",
    "given_name_label": "Nombre",
    "family_name_label": "Apellido",
    "aliases_label": "Apodos",
    "handles_label": "Cuentas de redes sociales, nombres de usuario o de jugador",
    "list_hint": "Separe varios con comas.",
    "age_label": "Edad",
    "age_hint": "Un número, si la sabe.",
    "person_school_label": "Escuela o lugar de trabajo",
    "description_label": "Descripción",
    "description_hint": "Apariencia, vehículo, cualquier otra cosa que ayude.",
    "contact_legend": "Cómo comunicarnos con usted",
    "contact_hint": "Déjelos en blanco para seguir anónimo. Si los completa, solo las "
    "personas que atienden su denuncia pueden verlos.",
    "contact_name_label": "Su nombre",
    "phone_label": "Teléfono",
    "email_label": "Correo electrónico",
    "files_label": "Fotos, videos, capturas de pantalla o documentos",
    "files_hint": "Hasta {count} archivos de {megabytes} MB como máximo cada uno: imágenes "
    "(JPEG, PNG, GIF, WebP, HEIC), PDF, video (MP4, MOV, WebM) o texto simple.",
    "trap_label": "Deje este campo en blanco",
    "submit_tip": "Enviar denuncia",
    "error_narrative_required": "Describa lo que vio, oyó o leyó.",
    "error_too_long": "Use como máximo {limit} caracteres aquí.",
    "error_age": "Escriba la edad como un número entero de 0 a 120, o déjela en blanco.",
    "error_email": "Escriba un correo electrónico como nombre@ejemplo.com, o déjelo en blanco.",
    "error_phone": "Escriba un número de teléfono solo con dígitos, espacios y + - ( ), "
    "o déjelo en blanco.",
    "error_unreadable": "Quite los caracteres invisibles poco comunes de este campo.",
    "error_too_many_files": "Adjunte como máximo {count} archivos.",
    "error_person": "Agregue un nombre, un apodo, una cuenta, una escuela o lugar de trabajo "
    "o una descripción de esta persona, o deje también la edad en blanco.",
    "error_too_many": "Indique como máximo {limit} elementos aquí.",
    "error_invalid": "Revise lo que escribió aquí.",
    "file_number": "Archivo {number}",
    "error_file": "{name}: {reason}",
    "file_empty": "El archivo está vacío.",
    "file_too_large": "El archivo supera el límite de {megabytes} MB.",
    "file_refused": "No se acepta este tipo de archivo. Se aceptan imágenes, PDF, video "
    "y texto simple.",
    "files_not_kept": "No se guardó nada. Vuelva a elegir sus archivos después de corregir esto.",
    "receipt_title": "Gracias. Recibimos su denuncia.",
    "receipt_stored": "Su denuncia está guardada. Conserve estos dos datos:",
    "receipt_number_label": "Número de recibo",
    "receipt_number_hint": "Menciónelo si nos llama por esta denuncia.",
    "code_label": "Código de seguimiento",
    "code_warning": "Anote o guarde este código ahora. Se muestra solo esta vez y nadie "
    "puede consultarlo después: solo guardamos una forma cifrada de él.",
    "code_use": "Para leer las preguntas de un analista y contestarlas, vaya a la página de "
    "seguimiento y escriba este código. Usted sigue siendo anónimo.",
    "code_reissued": "Esta denuncia ya nos había llegado, así que no se guardó dos veces. "
    "Se creó un nuevo código de seguimiento: cualquier código mostrado antes ya no sirve.",
    "followup_link": "Ir a la página de seguimiento",
    "another_tip": "Enviar otra denuncia",
    "followup_title": "Dar seguimiento a su denuncia",
    "followup_intro": "Escriba el código de seguimiento que recibió al enviar su denuncia "
    "para leer las preguntas de un analista y contestarlas.",
    "code_input_label": "Código de seguimiento",
    "code_input_hint": "Como ABCDE-FGHJK-MNPQR-STVWX. No importan las mayúsculas ni los guiones.",
    "show_messages": "Ver mensajes",
    "error_code": "No encontramos una denuncia con ese código. Revise el código e "
    "inténtelo de nuevo. Las denuncias se guardan solo por un tiempo limitado, así que "
    "una denuncia antigua puede ya no conservarse.",
    "purged": "Esta denuncia ya no se conserva: según las reglas sobre cuánto tiempo se "
    "guardan las denuncias, se eliminó junto con sus mensajes.",
    "conversation_title": "Denuncia {receipt}",
    "sent_on": "Enviada el {when}",
    "messages_heading": "Mensajes",
    "no_messages": "Todavía no hay preguntas para usted. Vuelva a consultar más tarde.",
    "from_agency": "Analista",
    "from_tipster": "Usted",
    "reply_label": "Su respuesta",
    "reply_hint": "No incluya nada que pueda identificarle, a menos que usted quiera.",
    "send_reply": "Enviar respuesta",
    "reply_sent": "Su respuesta fue enviada.",
    "error_reply_required": "Escriba su respuesta.",
    "leave": "Listo: salir de esta página",
    "limited_title": "Demasiados intentos",
    "limited_body": "Llegaron demasiadas denuncias o intentos de seguimiento desde su "
    "conexión. Espere {minutes} minutos e inténtelo de nuevo.",
}

TEXTS: dict[Language, dict[str, str]] = {Language.EN: ENGLISH, Language.ES: SPANISH}


def texts(language: Language) -> Mapping[str, str]:
    return TEXTS[language]


def _quality(parameters: list[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return max(0.0, min(1.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0


def from_accept_language(header: str | None) -> Language:
    """The supported language the browser prefers most (RFC 9110 q-values), else English."""
    best: tuple[float, int, Language] | None = None
    for position, entry in enumerate((header or "")[:500].split(",")):
        tag, *parameters = entry.split(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in Language.__members__.values():
            continue
        quality = _quality(parameters)
        if quality <= 0:
            continue
        ranked = (quality, -position, Language(primary))
        if best is None or ranked[:2] > best[:2]:
            best = ranked
    return best[2] if best else DEFAULT_LANGUAGE


def choose_language(requested: str | None, accept_language: str | None) -> Language:
    """``?lang=`` (the page's language link) wins; else the browser's preference."""
    if requested and requested.strip().lower() in Language.__members__.values():
        return Language(requested.strip().lower())
    return from_accept_language(accept_language)
