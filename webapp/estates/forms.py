from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp


class EstateForm(FlaskForm):
    slug = StringField(_l("Short name (for addresses)"), validators=[DataRequired(), Length(max=63)])
    name = StringField(_l("Estate name"), validators=[DataRequired(), Length(max=200)])


class EstateSettingsForm(FlaskForm):
    name = StringField(
        _l("Estate name"),
        validators=[
            DataRequired(message=_l("Enter the estate's name.")),
            Length(max=200, message=_l("The estate's name can have at most 200 characters.")),
        ],
    )
    # InputRequired, not DataRequired: 0 is an answer, and out of range (say so, not "required").
    roll_signatures_required = IntegerField(
        _l("Supervisor signatures a roll or tally needs"),
        validators=[
            InputRequired(message=_l("Enter a number from 1 to 9.")),
            NumberRange(min=1, max=9, message=_l("Enter a number from 1 to 9.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    sms_required = BooleanField(_l("Also check the registry's mobile number with a text message at registration"))
    letter_valid_days = IntegerField(
        _l("Days a QR letter stays valid"),
        validators=[
            InputRequired(message=_l("Enter a number of days from 1 to 365.")),
            NumberRange(min=1, max=365, message=_l("Enter a number of days from 1 to 365.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    organiser_label = StringField(_l("Who sends the letters (e.g. the preparatory group)"), validators=[Optional(), Length(max=200)])
    help_text = StringField(_l("Where owners get help (printed on letters)"), validators=[Optional(), Length(max=300)])
    help_phone = StringField(
        _l("Help line: a phone number owners can call (on the letter and every owner page)"),
        validators=[
            Optional(),
            Length(max=40),
            Regexp(r"^\+?[0-9][0-9 -]{3,38}[0-9]$", message=_l("Enter a phone number: digits, spaces and hyphens, e.g. 0571-8888 6666.")),
        ],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    counting_rule = TextAreaField(
        _l("The estate's own counting rule, if its rules of procedure set one"), validators=[Optional(), Length(max=2000)]
    )
    term_reminder_months = IntegerField(  # (left out of a form posted by an older page: kept as it is)
        _l("Remind the supervisors this many months before the organising body's term ends (换届)"),
        validators=[Optional(), NumberRange(min=1, max=24, message=_l("Enter a number of months from 1 to 24."))],
        render_kw={"inputmode": "numeric"},
    )


class EstateRulesForm(FlaskForm):
    """The estate's rules of procedure (议事规则) as assemblies need them; each assembly keeps a
    snapshot taken when its notice is first published."""

    thresholds_text = TextAreaField(
        _l(
            "Stricter thresholds, one a line: category, 'approval' or 'quorum', 'at_least' or 'more_than', a fraction (e.g. 6 approval at_least 4/5). Empty: the statute's."
        ),
        validators=[Optional(), Length(max=2000)],
    )
    alternates = IntegerField(
        _l("Alternates (候补委员) an election designates"),
        validators=[
            InputRequired(message=_l("Enter a number from 0 to 11.")),
            NumberRange(min=0, max=11, message=_l("Enter a number from 0 to 11.")),
        ],
    )
    tally_signatures_required = IntegerField(
        _l("Supervisor signatures a tally needs"),
        validators=[
            InputRequired(message=_l("Enter a number from 1 to 9.")),
            NumberRange(min=1, max=9, message=_l("Enter a number from 1 to 9.")),
        ],
    )
    notice_period_days = IntegerField(
        _l("Days between the notice and the opening of voting"),
        description=_l(
            "The statute's is 15 days (Property Management Regulations, Art. 13). Set fewer only if the estate's rules of procedure say so."
        ),
        validators=[
            InputRequired(message=_l("Enter a number of days from 0 to 90.")),
            NumberRange(min=0, max=90, message=_l("Enter a number of days from 0 to 90.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    candidate_publication_days = IntegerField(
        _l("Days the approved candidates' list is on display before the notice"),
        validators=[
            InputRequired(message=_l("Enter a number of days from 1 to 60.")),
            NumberRange(min=1, max=60, message=_l("Enter a number of days from 1 to 60.")),
        ],
    )
    results_publication_days = IntegerField(
        _l("Days a result is on display (default for new assemblies)"),
        validators=[
            InputRequired(message=_l("Enter a number of days from 1 to 90.")),
            NumberRange(min=1, max=90, message=_l("Enter a number of days from 1 to 90.")),
        ],
    )
    eligibility_text = TextAreaField(
        _l("Candidates' conditions, one a line (shown on the nomination form)"), validators=[Optional(), Length(max=4000)]
    )
    party_target_percent = IntegerField(
        _l("Target share of party members in the committee, % (information for supervisors only; empty: none)"),
        validators=[Optional(), NumberRange(min=0, max=100, message=_l("Enter a percentage from 0 to 100."))],
    )
    proxy_cap = IntegerField(
        _l("Owners one proxy may represent"),
        validators=[
            InputRequired(message=_l("Enter a number from 1 to 20.")),
            NumberRange(min=1, max=20, message=_l("Enter a number from 1 to 20.")),
        ],
    )
    objection_cap = IntegerField(
        _l("Objections one owner may file against one result"),
        validators=[
            InputRequired(message=_l("Enter a number from 1 to 20.")),
            NumberRange(min=1, max=20, message=_l("Enter a number from 1 to 20.")),
        ],
    )
    publish_batch = IntegerField(  # (left out of a form posted by an older page: kept as it is)
        _l("While voting, show who has voted in batches of at least this many ballots"),
        description=_l(
            "So that nobody watching the turnout can tell when a household voted (and so, later, which ballot is theirs). 10 is a sensible size; a larger one hides more and shows the turnout less often."
        ),
        validators=[Optional(), NumberRange(min=1, max=1000, message=_l("Enter a number from 1 to 1000."))],
    )
    # Owners' petitions for an extraordinary meeting (left out of a form posted by an older page: kept).
    # The form takes any percentage; the operation refuses one above the statute's 20%, saying why.
    petition_area_percent = IntegerField(
        _l("Share of the exclusive area a petition for an extraordinary meeting needs, %"),
        description=_l(
            "The statute's is 20% of the area and 20% of the heads (Guiding Rules, Art. 21); the estate's rules may set less, never more."
        ),
        validators=[Optional(), NumberRange(min=1, max=100, message=_l("Enter a percentage from 1 to 100."))],
        render_kw={"inputmode": "numeric"},
    )
    petition_heads_percent = IntegerField(
        _l("Share of the heads a petition needs, %"),
        validators=[Optional(), NumberRange(min=1, max=100, message=_l("Enter a percentage from 1 to 100."))],
        render_kw={"inputmode": "numeric"},
    )
    petition_window_days = IntegerField(
        _l("Days a petition collects signatures"),
        validators=[Optional(), NumberRange(min=1, max=180, message=_l("Enter a number of days from 1 to 180."))],
        render_kw={"inputmode": "numeric"},
    )
    petition_convene_days = IntegerField(
        _l("Days the committee has to convene the meeting once a petition reaches both shares"),
        validators=[Optional(), NumberRange(min=1, max=90, message=_l("Enter a number of days from 1 to 90."))],
        render_kw={"inputmode": "numeric"},
    )
    turnout_public = BooleanField(_l("Show the live turnout to everyone (the list of units that voted is always public)"))
    voters_may_certify = BooleanField(_l("A supervisor who voted as an owner may still certify"))
