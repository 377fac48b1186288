from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from webapp.assemblies.kinds import KINDS
from webapp.assemblies.operations import AssemblyFields, ItemFields
from webapp.core.errors_base import UserError
from webapp.core.forms import PageForm
from webapp.core.timefmt import zone
from webapp.estates.thresholds import CATEGORIES


def category_choices(zh: bool) -> list[SelectChoice]:

    return [
        SelectChoice(str(c.number), f"{c.number}. {c.zh if zh else c.en} — {c.plain_zh if zh else c.plain_en}") for c in CATEGORIES.values()
    ]


class AssemblyForm(PageForm):
    def fields(self, estate) -> AssemblyFields:
        """What the organiser entered, as the operations take it (times in UTC)."""
        return AssemblyFields(
            title=self.title.data,
            kind=self.kind.data,
            description=self.description.data,
            opens_at=self.in_utc(self.opens_at.data, estate),
            closes_at=self.in_utc(self.closes_at.data, estate),
            nomination_deadline=self.in_utc(self.nomination_deadline.data, estate),
            replace_allowed=self.replace_allowed.data,
            publication_days=self.publication_days.data,
        )

    title = StringField(_l("Title of the assembly"), validators=[DataRequired(message=_l("Give the assembly a title.")), Length(max=200)])
    kind = SelectField(
        _l("Kind"),
        choices=[
            SelectChoice("regular", _l("Regular (定期)")),
            SelectChoice("extraordinary", _l("Extraordinary (临时)")),
            SelectChoice("first", _l("First assembly (首次)")),
        ],
    )
    description = TextAreaField(_l("What this assembly is about (optional)"), validators=[Optional(), Length(max=4000)])
    opens_at = DateTimeLocalField(
        _l("Voting opens (estate time)"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(message=_l("Give the date and time voting opens."))],
    )
    closes_at = DateTimeLocalField(
        _l("Voting closes (estate time)"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(message=_l("Give the date and time voting closes."))],
    )
    nomination_deadline = DateTimeLocalField(
        _l("Nominations close (optional, estate time)"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    replace_allowed = BooleanField(_l("Owners may replace a cast ballot until the close (the last one counts)"))
    publication_days = IntegerField(
        _l("Days the results stay on public display (公示期)"),
        validators=[
            DataRequired(message=_l("Give the number of days (1 to 90).")),
            NumberRange(min=1, max=90, message=_l("Between 1 and 90 days.")),
        ],
    )

    def in_utc(self, field_value: datetime | None, estate) -> datetime | None:
        """A local time typed in the estate's zone, as the aware UTC time the database keeps."""
        if field_value is None:
            return None

        try:
            return field_value.replace(tzinfo=zone(estate)).astimezone(UTC)
        except OverflowError:  # the first or last hours of year 1 or 9999: no time the calendar can hold
            typed = f"{field_value.year:04d}-{field_value:%m-%d %H:%M}"
            raise UserError(
                f"时间 {typed} 超出了日历的范围，请检查年份", f"the time {typed} is beyond the calendar: check the year"
            ) from None


class ItemForm(PageForm):
    def fields(self) -> ItemFields:
        return ItemFields(
            category=int(self.category.data),
            title=self.title.data,
            text=self.text.data,
            seats=self.seats.data,
            by_election=self.by_election.data,
        )

    form = SelectField(
        _l("Form"),
        choices=[SelectChoice(kind.name, kind.choice) for kind in KINDS.values()],
    )
    category = SelectField(_l("Which matter of Civil Code Art. 278 is it?"), choices=[])
    title = StringField(_l("Title"), validators=[DataRequired(message=_l("Give the item a title.")), Length(max=300)])
    text = TextAreaField(_l("Full text or explanation (optional)"), validators=[Optional(), Length(max=20000)])
    seats = IntegerField(
        _l("Seats (elections: 5 to 11, odd, for a whole committee)"),
        validators=[Optional(), NumberRange(min=1, max=11, message=_l("Between 1 and 11 seats."))],
    )
    by_election = BooleanField(_l("By-election: fills vacancies only (any number of seats)"))

    def validate_seats(self, field):
        if self.form.data in KINDS and KINDS[self.form.data].has_seats and not field.data:
            raise ValidationError(_l("An election needs its number of seats."))


class BidderForm(PageForm):
    name = StringField(_l("Firm's name"), validators=[DataRequired(message=_l("Give the firm's name.")), Length(max=200)])
    uscc = StringField(
        _l("Unified social credit code (18 characters)"),
        validators=[DataRequired(message=_l("Give the firm's credit code.")), Length(max=30)],
    )
    fee = StringField(
        _l("Proposed fee, yuan per m² per month (e.g. 2.50)"),
        validators=[DataRequired(message=_l("Give the proposed fee.")), Length(max=12)],
    )
    plan = TextAreaField(_l("Service plan (summary)"), validators=[Optional(), Length(max=8000)])


class PoolBidderForm(PageForm):
    """A bidder picked from the district's pool (优势资源库): its name and credit code come from
    the register.  The operation, not the list, decides whether the firm may be picked (and
    says why not: it may have left the pool since the page was loaded)."""

    firm = SelectField(_l("Firm of the district's pool"), coerce=int, validate_choice=False)
    fee = StringField(
        _l("Proposed fee, yuan per m² per month (e.g. 2.50)"),
        validators=[DataRequired(message=_l("Give the proposed fee.")), Length(max=12)],
    )
    plan = TextAreaField(_l("Service plan (summary)"), validators=[Optional(), Length(max=8000)])


class PlanForm(PageForm):
    name = StringField(_l("Plan's title"), validators=[DataRequired(message=_l("Give the plan a title.")), Length(max=300)])
    text = TextAreaField(_l("What the plan is (optional)"), validators=[Optional(), Length(max=8000)])


class ReasonForm(PageForm):
    reason = StringField(_l("Written reason"), validators=[DataRequired(message=_l("A written reason is required.")), Length(max=2000)])
