"""The OpenAPI 3.1 document of the sync API, built from the registered event types, so a new
event type is documented the moment it exists."""

from pmfield.api.services import EVENT_TYPES

ERROR = {"type": "object", "properties": {"error": {"type": "string"},
                                          "field": {"type": ["string", "null"]}}}
KEY_HEADER = {"name": "Idempotency-Key", "in": "header", "required": True,
              "description": "The UUID the phone made when the user acted (for an event: its "
                             "id). Unique per user.",
              "schema": {"type": "string", "format": "uuid"}}
CSRF_HEADER = {"name": "X-CSRFToken", "in": "header", "required": True,
               "description": "From <meta name=\"csrf-token\"> or GET /api/v1/session.",
               "schema": {"type": "string"}}
DEVICE_TIME = {"name": "X-Device-Time", "in": "header", "required": False,
               "description": "The phone's clock when it sent the request (ISO 8601 with "
                              "offset): the server measures the clock offset from it and "
                              "corrects the phone's times.",
               "schema": {"type": "string", "format": "date-time"}}
ANSWERS = {
    "201": {"description": "Applied now."},
    "200": {"description": "A replay: the answer stored the first time."},
    "400": {"description": "No or malformed Idempotency-Key, or not JSON.",
            "content": {"application/json": {"schema": ERROR}}},
    "401": {"description": "Not signed in: keep the outbox, sign in again."},
    "403": {"description": "Refused: not this user's to do (stored, replays get the same).",
            "content": {"application/json": {"schema": ERROR}}},
    "409": {"description": "The same key is being applied by another request right now."},
    "422": {"description": "Refused content, or the key reused for different content.",
            "content": {"application/json": {"schema": ERROR}}},
}


def _event_schema(event_type) -> dict:
    return {
        "type": "object",
        "title": event_type.name,
        "description": event_type.summary,
        "required": ["id", "type", "data"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "captured_at": {"type": "string", "format": "date-time",
                            "description": "When the user did it, by the phone's clock (ISO "
                                           "8601 with offset); the server corrects it by the "
                                           "clock offset of X-Device-Time"},
            "type": {"const": event_type.name},
            "data": {"type": "object", "required": list(event_type.required),
                     "properties": event_type.schema},
        },
    }


def document() -> dict:
    names = sorted(EVENT_TYPES)
    schemas = {f"event.{name}": _event_schema(EVENT_TYPES[name]) for name in names}
    return {
        "openapi": "3.1.0",
        "info": {"title": "pmfield sync API", "version": "1"},
        "paths": {
            "/api/v1/events": {"post": {
                "summary": "Apply one event of the phone's outbox exactly once.",
                "parameters": [KEY_HEADER, CSRF_HEADER, DEVICE_TIME],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "oneOf": [{"$ref": f"#/components/schemas/event.{name}"} for name in names],
                    "discriminator": {"propertyName": "type"},
                }}}},
                "responses": ANSWERS | {"413": {
                    "description": "The event is larger than 1 MiB.",
                    "content": {"application/json": {"schema": ERROR}}}},
            }},
            "/api/v1/photos": {"post": {
                "summary": "Store one photo exactly once.",
                "parameters": [KEY_HEADER, CSRF_HEADER],
                "requestBody": {"required": True, "content": {"multipart/form-data": {
                    "schema": {"type": "object", "required": ["file"], "properties": {
                        "file": {"type": "string", "format": "binary"}}}}}},
                "responses": ANSWERS | {"413": {"description": "The photo is too large."}},
            }},
            "/api/v1/session": {"get": {
                "summary": "A fresh CSRF token and the server's time, before each flush.",
                "responses": {"200": {"description": "csrf_token, user, server_time"},
                              "401": {"description": "Not signed in."}},
            }},
        },
        "components": {"schemas": schemas},
    }
