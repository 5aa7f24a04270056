"""The playbook format: the upsell SOP's seven parts as pydantic models.

A playbook is data a revenue-ops lead edits; ``decide()`` is the code that executes it. The
models check shape, types, ranges and the condition language; ``lint.py`` checks the SOP as a
whole (ownership, reachability, cycles, spelling, known features).

Seven parts: ``objective`` → ``triggers`` → decision ``nodes`` (plus ``score_bands``) → ``roles``
→ ``actions`` → ``exits`` and ``exit_paths`` (with ``capacity`` and ``contact_limits``) →
``review``. See docs/playbooks.md for the format with an example.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from data.contract import CHANNELS
from pipeline.playbook.conditions import ConditionError, parse_condition
from pipeline.playbook.issues import SourceMap

# Node ids the decision layer itself uses for accounts that end outside the playbook's own nodes.
NO_TRIGGER = "no_trigger"  # no trigger fired
OUT_OF_SCOPE = "out_of_scope"  # segment or product tier outside the objective
SUPPRESSED = "suppressed"  # offers history holds the account back (cool-down, pending, limits…)
CAPACITY_DEFERRED = "capacity_deferred"  # owner role full this week and the fallback is to defer
FOLLOW_UP = "follow_up"  # an unanswered offer routed straight to the follow-up action
RESERVED_IDS: tuple[str, ...] = (NO_TRIGGER, OUT_OF_SCOPE, SUPPRESSED, CAPACITY_DEFERRED, FOLLOW_UP)

ChannelName = Literal[CHANNELS]  # type: ignore[valid-type]
TriggerKind = Literal["usage_threshold", "renewal_window", "behaviour_signal", "milestone"]
NodeKind = Literal["fit", "engagement", "score_band", "health_gate"]


def _check_condition(text: str) -> str:
    try:
        parse_condition(text)
    except ConditionError as exc:  # pydantic reports ValueErrors at the key path
        raise ValueError(str(exc)) from None
    return text


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Objective(_Part):
    """What the SOP is for: a revenue target and the accounts in scope."""

    revenue_target: float = Field(ge=0, description="expansion revenue the SOP should deliver per period")
    period: Literal["month", "quarter", "year"] = "quarter"
    currency: str = "USD"
    segments: list[str] = Field(default_factory=list, description="segments in scope; empty = all")
    product_tiers: list[str] = Field(
        default_factory=list,
        description="current plan tiers in scope (the tiers upsold FROM); empty = all",
    )
    addon_categories: list[str] = Field(
        default_factory=list,
        description="purchase categories that are upsells: buying one counts as an expansion in the "
                    "`expansion` label (train/backtest --playbook); empty = none",
    )


class ScoreBand(_Part):
    """A named score band: an account is in the first band (highest min_score first) it reaches."""

    name: str
    min_score: float = Field(ge=0, le=1)


class Role(_Part):
    """Who does the work, and how many new upsell actions they can take per week."""

    weekly_capacity: int | None = Field(ge=0, description="new actions per week; null = unlimited (automated)")
    description: str = ""


class Trigger(_Part):
    """An event that makes an account worth a look; its ``then`` is the first decision node."""

    id: str
    kind: TriggerKind
    when: str
    then: str
    description: str = ""

    _when = field_validator("when")(_check_condition)


class Branch(_Part):
    """One way out of a decision node; branches are tried in order, the first true one wins."""

    when: str
    to: str
    label: str = ""

    _when = field_validator("when")(_check_condition)


class DecisionNode(_Part):
    """A decision point (fit, engagement, score band, health gate): ordered branches + otherwise."""

    kind: NodeKind
    description: str = ""
    branches: list[Branch] = Field(min_length=1)
    otherwise: str = Field(description="where accounts go when no branch is true")


class Action(_Part):
    """What is done: an offer through a channel, owned by a role, due within an SLA."""

    offer_type: str
    channel: ChannelName
    owner: str
    sla_days: int = Field(ge=0, le=365)
    deal_value: float = Field(ge=0, description="expected deal value if accepted (expected value = score × this)")
    overflow_to: str | None = Field(
        default=None, description="action taken instead when the owner role is at capacity (overrides capacity.fallback_action)"
    )
    reasons: bool | None = Field(
        default=None,
        description="reason codes for the accounts given this action; default: yes when a person owns it "
                    "(they read them before the call), no for an automated action unless its message quotes them",
    )
    description: str = ""


class Exit(_Part):
    """A place the SOP ends for now without an action (not a fit, unhealthy, nurture later…)."""

    description: str = ""


class AcceptedPath(_Part):
    """accepted → exit: the account leaves the upsell flow for ``cool_down_days``."""

    cool_down_days: int = Field(default=0, ge=0)


class RejectedPath(_Part):
    """rejected → cool-down: no new offer for ``cool_down_days`` after the rejection."""

    cool_down_days: int = Field(ge=0)


class DeferredPath(_Part):
    """deferred → re-entry: the offer's ``reenter_at``, else the outcome date + ``reenter_after_days``."""

    reenter_after_days: int = Field(ge=0)


class NoResponsePath(_Part):
    """no_response → follow-up after ``follow_up_after_days``, at most ``max_follow_ups`` times in a row;
    after that the silence counts as a rejection (its cool-down applies)."""

    follow_up_after_days: int = Field(ge=0)
    follow_up_action: str | None = None
    max_follow_ups: int = Field(default=1, ge=0)
    pending_counts_after_days: int | None = Field(
        default=None, ge=1, description="an offer still pending this long counts as unanswered (stale CRM records)")


class ExitPaths(_Part):
    """What each offer outcome means for the account's next turn."""

    accepted: AcceptedPath
    rejected: RejectedPath
    deferred: DeferredPath
    no_response: NoResponsePath


class CapacityPolicy(_Part):
    """Where human-owned work goes when the owner role has no capacity left this week."""

    fallback: Literal["automated_action", "defer"]
    fallback_action: str | None = None

    @model_validator(mode="after")
    def _action_when_automated(self) -> "CapacityPolicy":
        if self.fallback == "automated_action" and not self.fallback_action:
            raise ValueError("fallback 'automated_action' needs fallback_action (an action id)")
        return self


class ContactLimits(_Part):
    """At most ``max_contacts`` offers per account in any ``window_days`` (control rows included)."""

    max_contacts: int = Field(ge=1)
    window_days: int = Field(ge=1)


class Review(_Part):
    """SOP step 7: how often the playbook is reviewed, by whom, against which measures."""

    cadence: Literal["weekly", "monthly", "quarterly"]
    owner: str
    metrics: list[str] = Field(min_length=1)
    min_offers_per_cell: int = Field(default=30, ge=1, description="smallest group the review report judges")
    max_path_depth: int = Field(default=6, ge=1, description="lint warns when a path is deeper (a maze of conditions)")


class Playbook(_Part):
    """One upsell SOP, validated. Load with ``pipeline.playbook.load.load_playbook``."""

    name: str
    version: int | str
    description: str = ""
    objective: Objective
    score_bands: list[ScoreBand] = Field(min_length=1)
    roles: dict[str, Role] = Field(min_length=1)
    account_owner_role: str = Field(default="account_manager", description="the role whose person is accounts.owner_id")
    triggers: list[Trigger] = Field(min_length=1)
    nodes: dict[str, DecisionNode] = Field(default_factory=dict)
    actions: dict[str, Action] = Field(min_length=1)
    exits: dict[str, Exit] = Field(default_factory=dict)
    exit_paths: ExitPaths
    capacity: CapacityPolicy
    contact_limits: ContactLimits
    review: Review
    _source: SourceMap = PrivateAttr(default_factory=SourceMap)

    @property
    def source(self) -> SourceMap:
        """Where this playbook came from (file and key lines), for error messages."""
        return self._source

    @field_validator("score_bands")
    @classmethod
    def _bands_cover_zero(cls, bands: list[ScoreBand]) -> list[ScoreBand]:
        if min(b.min_score for b in bands) != 0:
            raise ValueError("the lowest score band must start at min_score 0 so every score has a band")
        if len({b.min_score for b in bands}) != len(bands):
            raise ValueError("two score bands share a min_score")
        return bands

    def bands_high_to_low(self) -> list[ScoreBand]:
        """Bands ordered by min_score, highest first (the order an account is matched in)."""
        return sorted(self.score_bands, key=lambda b: -b.min_score)

    def person_roles(self) -> list[str]:
        """Roles with a weekly capacity: people, who read reason codes before they call.
        (A null capacity means an automated system.)"""
        return [name for name, role in self.roles.items() if role.weekly_capacity is not None]

    def reason_actions(self) -> list[str]:
        """Actions whose accounts get reason codes: ``reasons: true``, and by default those a person
        owns. Explaining a score costs a TreeSHAP pass (~35 predictions), so only what is read."""
        people = set(self.person_roles())
        return [name for name, action in self.actions.items()
                if (action.reasons if action.reasons is not None else action.owner in people)]

    def all_ids(self) -> dict[str, str]:
        """Every id in the graph → what it is (trigger, node, action, exit)."""
        out: dict[str, str] = {}
        for t in self.triggers:
            out.setdefault(t.id, "trigger")
        for group, kind in ((self.nodes, "node"), (self.actions, "action"), (self.exits, "exit")):
            for key in group:
                out.setdefault(key, kind)
        return out

    def targets(self, node_id: str) -> list[str]:
        """Where a trigger or decision node leads (branches in order, then otherwise)."""
        for t in self.triggers:
            if t.id == node_id:
                return [t.then]
        node = self.nodes.get(node_id)
        if node is None:
            return []
        return [b.to for b in node.branches] + [node.otherwise]
