"""What every schema of the API is made of.

One marshmallow schema per resource declares, at once, what a request body may carry (each field's
JSON type, checked here with the messages the API has always given), how a response is serialised,
and the OpenAPI document (flask-smorest and apispec derive it). The rules beyond the JSON types --
lengths, ranges, patterns, what must be given -- belong to the services, which the web pages share;
a field's `doc` states them in the document, built from the services' own constants
(.patterns), so that the document promises neither more nor less than the validation does.

Bodies are loaded in the view (`load(Schema)`), after the token, the resource and the role have been
checked: a caller who may not write learns nothing from a body's errors.
"""
from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar

import marshmallow as ma
from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ...services.errors import DomainError, ValidationFailed


class BadRequest(DomainError):
    status = 400
    code = "bad_request"


class Schema(ma.Schema):
    """Unknown fields are left out (as everywhere on the web); `json_schema` adds what the fields alone
    cannot say (required names, anyOf, if/then) to the schema's part of the document."""

    json_schema: ClassVar[dict[str, Any]] = {}

    class Meta:
        unknown = ma.EXCLUDE


class Documented:
    """A field whose part of the document is `doc` exactly, when given; `source`: what it serves
    of an object, when that is not the attribute of its name (e.g. lambda person: person.unit_name)."""

    doc: dict[str, Any] | None = None
    source: Callable[[Any], Any] | None = None

    def _set_doc(self, doc: dict[str, Any] | None, source: Callable[[Any], Any] | None = None) -> None:
        self.doc, self.source = doc, source

    def get_value(self, obj: Any, attr: str, accessor: Any = None, default: Any = ma.missing) -> Any:
        if self.source is not None:
            return self.source(obj)
        return super().get_value(obj, attr, accessor, default)  # type: ignore[misc]


class Text(Documented, ma.fields.String):
    """Text, or null (null is the service's to judge: mostly "not given")."""

    default_error_messages = {"invalid": _l("Must be text.")}

    def __init__(self, doc: dict[str, Any] | None = None, source: Callable[[Any], Any] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(allow_none=True, **kwargs)
        self._set_doc(doc, source)


class WholeNumber(Documented, ma.fields.Integer):
    """A whole number in JSON: 5 and 5.0 (JSON has one kind of number), never true or "5"."""

    default_error_messages = {"invalid": _l("Must be a whole number.")}

    def __init__(self, doc: dict[str, Any] | None = None, source: Callable[[Any], Any] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(allow_none=True, **kwargs)
        self._set_doc(doc, source)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        return value


class Object(Documented, ma.fields.Nested):
    """An object with typed fields of its own."""

    default_error_messages = {"type": _l("Must be an object.")}

    def __init__(self, nested: Any, doc: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(nested, allow_none=True, **kwargs)
        self._set_doc(doc)


class AnyObject(Documented, ma.fields.Dict):
    """An object whose members the service checks (free attributes, answers)."""

    default_error_messages = {"invalid": _l("Must be an object.")}

    def __init__(self, doc: dict[str, Any] | None = None, source: Callable[[Any], Any] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(allow_none=True, **kwargs)
        self._set_doc(doc, source)


class Anything(Documented, ma.fields.Raw):
    """A value the service checks whole (a list of tags, a selection's lists, a boolean flag)."""

    def __init__(self, doc: dict[str, Any] | None = None, source: Callable[[Any], Any] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(allow_none=True, **kwargs)
        self._set_doc(doc, source)


class Items(Documented, ma.fields.Field):
    """A list whose object items have typed fields: the objects are checked, anything else is left
    to the service (which names it). `indexed`: an item's problems name the field alone, with the
    item's index beside it ({"field": "name", "index": 2}), instead of "people.2.name"."""

    def __init__(self, item: type[Schema], doc: dict[str, Any] | None = None, *, indexed: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(allow_none=True, **kwargs)
        self.item, self.indexed = item, indexed
        self._set_doc(doc)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, list):
            return value
        loaded, errors = [], {}
        for index, entry in enumerate(value):
            if not isinstance(entry, dict):
                loaded.append(entry)
                continue
            try:
                loaded.append({**entry, **self.item().load(entry)})
            except ma.ValidationError as error:
                errors[index] = error.messages
        if errors:
            raise ma.ValidationError(errors)
        return loaded

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return self.item(many=True).dump(value) if value is not None else None


def field_doc(converter: Any, field: ma.fields.Field, ret: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """apispec: a Documented field's `doc` replaces what apispec made of it."""
    doc = getattr(field, "doc", None)
    if isinstance(field, Items):
        item = converter.resolve_nested_schema(field.item)  # the items' schema joins the components
        if doc is None:
            doc = {"type": ["array", "null"], "items": item}
    if doc is None:
        return {}
    ret.clear()
    return dict(doc)


# --- bodies and query strings ---------------------------------------------------

def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


def json_body() -> dict[str, Any]:
    """The request's JSON object. Strict JSON only: no NaN or Infinity, no number that overflows a
    double, no nesting so deep it cannot be parsed."""
    data = None
    if request.is_json:
        try:
            data = json.loads(request.get_data(), parse_constant=_no_constant, parse_float=_finite_float)
        except (ValueError, RecursionError):
            data = None
    if not isinstance(data, dict):
        raise BadRequest(_("The body must be a JSON object (Content-Type: application/json)."))
    return data


def _problems(messages: Any, prefix: str = "", where: Mapping[str, Any] | None = None,
              schema: ma.Schema | None = None) -> Iterator[dict[str, Any]]:
    """marshmallow's nested messages as the API's list of {"field", "message"}."""
    where = where or {}
    if not isinstance(messages, (dict, list, tuple)):
        messages = [messages]  # one message (a lazy text is no str to marshmallow)
    if isinstance(messages, (list, tuple)):
        for message in messages:
            yield {"field": prefix.rstrip("."), "message": str(message), **where}
        return
    for name, inner in messages.items():
        field = schema.fields.get(str(name)) if schema is not None else None
        if isinstance(field, Items) and isinstance(inner, dict):
            for index, item_messages in inner.items():
                if field.indexed:
                    yield from _problems(item_messages, prefix, {**where, "index": index}, field.item())
                else:
                    yield from _problems(item_messages, f"{prefix}{name}.{index}.", where, field.item())
        elif isinstance(field, ma.fields.Nested) and isinstance(inner, dict):
            yield from _problems(inner, f"{prefix}{name}.", where, field.schema)
        else:
            yield from _problems(inner, f"{prefix}{name}.", where, None)


def load(schema: type[Schema], data: dict[str, Any] | None = None) -> dict[str, Any]:
    """The request's JSON object (or `data`) as `schema` loads it: the fields given, of the right JSON
    types; the wrong types are a 422 naming each field. Fields left out stay out (a change keeps them)."""
    body = json_body() if data is None else data
    try:
        return schema().load(body)
    except ma.ValidationError as error:
        raise ValidationFailed(_("Some fields have the wrong type."),
                               list(_problems(error.messages, schema=schema()))) from None


class QueryNumber(Documented, ma.fields.Field):
    """A whole number in a query string, `low`-`high`; empty or left out: not given."""

    def __init__(self, low: int, high: int, doc: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.low, self.high = low, high
        self._set_doc(doc if doc is not None else {"type": "integer", "minimum": low, "maximum": high})

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        from ...services.validation import whole_number
        number = whole_number(value, self.low, self.high)
        if number is None:
            raise ma.ValidationError(_("A whole number (%(limit)s).", limit=f"{self.low}-{self.high}"))
        return number


def load_query(schema: type[Schema], message: str) -> dict[str, Any]:
    """The query string as `schema` loads it (422 with `message` and each field otherwise)."""
    try:
        return schema().load(request.args.to_dict())
    except ma.ValidationError as error:
        raise ValidationFailed(message, list(_problems(error.messages, schema=schema()))) from None


class Derived(Anything):
    """A field served from the whole object (`of(obj)`); taken as it is in a body (the service checks it)."""

    def __init__(self, of: Callable[[Any], Any], doc: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(doc=doc, source=of, **kwargs)


_PAGES: dict[type, type] = {}


def page_of(item: type[Schema]) -> type[Schema]:
    """The schema of a page of `item`s: {"items", "total", "page", "per_page"}."""
    if item not in _PAGES:
        name = item.__name__.removesuffix("Schema") + "PageSchema"
        _PAGES[item] = type(name, (Schema,), {
            "__doc__": f"A page of {item.__name__.removesuffix('Schema')}.",
            "json_schema": {"required": ["items", "total"]},
            "items": ma.fields.List(ma.fields.Nested(item)), "total": ma.fields.Integer(),
            "page": ma.fields.Integer(), "per_page": ma.fields.Integer()})
    return _PAGES[item]


_ALL: dict[type, type] = {}


def all_of(item: type[Schema]) -> type[Schema]:
    """The schema of a whole list of `item`s: {"items", "total"}."""
    if item not in _ALL:
        name = item.__name__.removesuffix("Schema") + "ListSchema"
        _ALL[item] = type(name, (Schema,), {
            "__doc__": f"Every {item.__name__.removesuffix('Schema')}.",
            "json_schema": {"required": ["items", "total"]},
            "items": ma.fields.List(ma.fields.Nested(item)), "total": ma.fields.Integer()})
    return _ALL[item]
