"""Alert and throttle notifications (signed webhooks, e-mail) and the alert history.

Why: an alert nobody hears of is useless, and a supervisor is not always in
front of the control tower. Each raised or cleared alert is recorded once in
the `alert_history` table (its event id is the key, so a replayed alert is
not recorded twice) and sent to every configured webhook and mailbox in the
background, never blocking the live figures:

* webhooks get a JSON body signed with HMAC-SHA256 (header
  `X-Joignable-Signature: sha256=<hex>` over the exact body bytes) and the
  alert event's id as `Idempotency-Key`; a failure (network, time-out, 408,
  425, 429, 5xx) is retried with exponential back-off, the same body each time;
* e-mail goes through SMTP with aiosmtplib, with a Message-ID derived from
  the event id so that a resent message is recognisably the same one.

Migration throttle decisions (a site's share cut, raised, or given a new
target) are recorded and told the same way once the single writer has logged
them (`store/throttles.py` keeps their history rows): every webhook hears of each decision
(`throttle.lowered`, `throttle.raised`, `throttle.target_set`); mailboxes hear
of the cuts only, the decisions a supervisor must act on (a raise comes in
small steps and would flood a mailbox).

Every delivery outcome is written back to the history row (`store/alerts.py`).

The targets come from the environment (they hold secrets; `targets_from_env`
names the variables): a webhook URL and its signing secret; an SMTP relay as
host:port, with an optional user and password and its TLS mode (`none`,
`starttls`, `tls`), the recipients and the sender.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage

import aiosmtplib
import httpx

from joignable.core.alerts.rules import AlertCleared, AlertEvent
from joignable.core.routing.throttle import ThrottleEvent, ThrottleLowered, ThrottleRaised
from joignable.store.alerts import AlertHistory, Delivery
from joignable.store.throttles import ThrottleHistory, as_row_data

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Joignable-Signature"
EVENT_HEADER = "X-Joignable-Event"
RETRYABLE = frozenset({408, 425, 429, 500, 502, 503, 504})

Sleep = Callable[[float], Awaitable[None]]


def sign(secret: str, body: bytes) -> str:
    """The signature header value for `body`: ``sha256=<hex HMAC-SHA256>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str) -> bool:
    """Whether `header` is the right signature of `body` (constant-time compare)."""
    return hmac.compare_digest(sign(secret, body), header)


@dataclass(frozen=True, slots=True)
class Notice:
    """What one notification says, whatever it tells of: `id` is its idempotency
    key and history row, `kind` its webhook type (``alert.raised``…), `section`
    and `payload` the webhook body's subject, `subject` and `text` the e-mail."""

    id: str
    kind: str
    section: str
    payload: dict[str, object]
    subject: str
    text: str
    mail: bool = True  # whether mailboxes hear of it (webhooks hear of everything)


def notice_dict(notice: Notice) -> dict[str, object]:
    """The notice as plain JSON-ready values (an outbox row keeps it)."""
    return {
        "id": notice.id, "kind": notice.kind, "section": notice.section,
        "payload": notice.payload, "subject": notice.subject, "text": notice.text,
        "mail": notice.mail,
    }  # fmt: skip


def notice_from_dict(data: Mapping[str, object]) -> Notice:
    """The notice `notice_dict` gave; raises `ValueError` naming a missing or
    mistyped field."""
    try:
        payload = data["payload"]
        if not isinstance(payload, dict):
            raise ValueError("payload must be an object")
        return Notice(
            id=str(data["id"]), kind=str(data["kind"]), section=str(data["section"]),
            payload=payload, subject=str(data["subject"]), text=str(data["text"]),
            mail=bool(data.get("mail", True)),
        )  # fmt: skip
    except KeyError as exc:
        raise ValueError(f"notice without {exc.args[0]!r}") from exc


def webhook_body(notice: Notice, center: str = "") -> bytes:
    """The canonical JSON a webhook receives (sorted keys, no spaces)."""
    payload = {
        "id": notice.id,
        "type": notice.kind,
        "center": center,
        notice.section: notice.payload,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def alert_notice(event: AlertEvent, center: str = "") -> Notice:
    """The notice of one alert event."""
    cleared = isinstance(event, AlertCleared)
    state = "cleared" if cleared else "RAISED"
    where = f"{event.scope.value} {event.scope_id}"
    value = "no data" if event.value is None else f"{event.value:.4g}"
    lines = [
        f"Alert {state.lower()} on {where}{f' ({center})' if center else ''}.",
        "",
        f"Rule:      {event.rule_id} — {event.title}",
        f"Metric:    {event.metric} = {value} (threshold {event.threshold:g})",
        f"Severity:  {event.severity.value}" + (" — contract level" if event.contract else ""),
        f"Alert id:  {event.alert_id}",
    ]
    if isinstance(event, AlertCleared):
        lines.append(f"Raised at: {event.raised_at:.0f} (epoch s), cleared: {event.reason}")
    return Notice(
        id=event.id,
        kind="alert.cleared" if cleared else "alert.raised",
        section="alert",
        payload=event.as_dict(),
        subject=f"[joignable] {event.severity.value.upper()} {state}: {event.title}",
        text="\n".join(lines) + "\n",
    )


def throttle_notice(event: ThrottleEvent, center: str = "") -> Notice:
    """The notice of one migration throttle decision (its history row's id)."""
    row = as_row_data(event)
    if isinstance(event, ThrottleLowered):
        kind = "throttle.lowered"
    elif isinstance(event, ThrottleRaised):
        kind = "throttle.raised"
    else:
        kind = "throttle.target_set"
    title = str(row["title"])
    lines = [
        f"{title}{f' ({center})' if center else ''}.",
        "",
        f"Queue:     {event.queue} (its share to site {event.site})",
        f"Share:     {event.previous:.1%} → {event.share:.1%}",
        f"Decided:   {event.at:.0f} (epoch s)",
        f"Throttle:  {row['alert_id']}",
    ]
    return Notice(
        id=str(row["id"]),
        kind=kind,
        section="throttle",
        payload=event.as_dict(),
        subject=f"[joignable] {str(row['severity']).upper()} {title}",
        text="\n".join(lines) + "\n",
        mail=isinstance(event, ThrottleLowered),
    )


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    url: str
    secret: str = field(repr=False)  # never in a log line
    max_attempts: int = 6
    backoff_s: float = 0.5  # first retry after this; doubles each time
    max_backoff_s: float = 60.0
    timeout_s: float = 5.0

    def delay(self, attempt: int) -> float:
        """Back-off before attempt `attempt + 1` (attempt counts from 1)."""
        return float(min(self.max_backoff_s, self.backoff_s * 2 ** (attempt - 1)))

    @property
    def name(self) -> str:
        """The destination's name in delivery outcomes and outbox rows."""
        return f"webhook {self.url}"


@dataclass(frozen=True, slots=True)
class EmailTarget:
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never in a log line
    start_tls: bool = False
    use_tls: bool = False
    max_attempts: int = 4
    backoff_s: float = 1.0
    timeout_s: float = 10.0
    max_backoff_s: float = 300.0

    def delay(self, attempt: int) -> float:
        """Back-off before attempt `attempt + 1` (attempt counts from 1)."""
        return float(min(self.max_backoff_s, self.backoff_s * 2 ** (attempt - 1)))

    @property
    def name(self) -> str:
        """The destination's name in delivery outcomes and outbox rows."""
        return f"email {','.join(self.recipients)}"


WEBHOOK_URL_ENV = "JOIGNABLE_ALERT_WEBHOOK_URL"
WEBHOOK_SECRET_ENV = "JOIGNABLE_ALERT_WEBHOOK_SECRET"
SMTP_ENV = "JOIGNABLE_ALERT_SMTP"  # host:port
SMTP_USER_ENV = "JOIGNABLE_ALERT_SMTP_USER"
SMTP_PASSWORD_ENV = "JOIGNABLE_ALERT_SMTP_PASSWORD"
SMTP_TLS_ENV = "JOIGNABLE_ALERT_SMTP_TLS"  # none | starttls | tls
EMAIL_TO_ENV = "JOIGNABLE_ALERT_EMAIL_TO"  # comma separated
EMAIL_FROM_ENV = "JOIGNABLE_ALERT_EMAIL_FROM"

#: SMTP TLS modes → (start_tls, use_tls, the port when host:port names none)
SMTP_TLS_MODES: dict[str, tuple[bool, bool, int]] = {
    "none": (False, False, 25),
    "starttls": (True, False, 587),
    "tls": (False, True, 465),
}


def targets_from_env(
    env: Mapping[str, str],
) -> tuple[list[WebhookTarget], list[EmailTarget], list[str]]:
    """The webhook and mailbox targets the environment names, and the problems
    found (each naming its variable; a target with a problem is left out, so a
    typo in a notification setting never stops the center).

    E-mail: `JOIGNABLE_ALERT_SMTP` (host:port) and `JOIGNABLE_ALERT_EMAIL_TO`;
    optional `JOIGNABLE_ALERT_EMAIL_FROM`, `JOIGNABLE_ALERT_SMTP_USER` with
    `JOIGNABLE_ALERT_SMTP_PASSWORD` (both or neither), and
    `JOIGNABLE_ALERT_SMTP_TLS`: `none`, `starttls` or `tls` — by default
    `starttls` when a user is set (a password is not sent in clear unless
    asked), `none` otherwise."""
    webhooks: list[WebhookTarget] = []
    emails: list[EmailTarget] = []
    problems: list[str] = []
    url = env.get(WEBHOOK_URL_ENV, "").strip()
    secret = env.get(WEBHOOK_SECRET_ENV, "").strip()
    if url and not secret:  # signed with an empty key, anyone could forge it
        problems.append(
            f"{WEBHOOK_URL_ENV} is set but {WEBHOOK_SECRET_ENV} is empty: no webhook "
            "(its signature would be forgeable)"
        )
    elif url:
        webhooks.append(WebhookTarget(url=url, secret=secret))
    relay = env.get(SMTP_ENV, "").strip()
    recipients = tuple(a.strip() for a in env.get(EMAIL_TO_ENV, "").split(",") if a.strip())
    if relay and not recipients:
        problems.append(f"{SMTP_ENV} is set but {EMAIL_TO_ENV} names no recipient: no e-mail")
    if not relay or not recipients:
        return webhooks, emails, problems
    user = env.get(SMTP_USER_ENV, "")
    password = env.get(SMTP_PASSWORD_ENV, "")
    mode = env.get(SMTP_TLS_ENV, "").strip().lower() or ("starttls" if user else "none")
    host, colon, port_text = relay.rpartition(":")
    if not colon:
        host, port_text = relay, ""
    port = SMTP_TLS_MODES[mode][2] if mode in SMTP_TLS_MODES and not port_text else 0
    if port_text:
        port = int(port_text) if port_text.isdigit() else 0
    if not 0 < port < 65536:
        problems.append(f"{SMTP_ENV}: expected host:port, got {relay!r}: no e-mail")
    elif mode not in SMTP_TLS_MODES:
        modes = ", ".join(SMTP_TLS_MODES)
        problems.append(f"{SMTP_TLS_ENV}: expected one of {modes}, got {mode!r}: no e-mail")
    elif bool(user) != bool(password):
        problems.append(
            f"{SMTP_USER_ENV} and {SMTP_PASSWORD_ENV} go together (one is empty): no e-mail"
        )
    else:
        start_tls, use_tls, _ = SMTP_TLS_MODES[mode]
        emails.append(
            EmailTarget(
                host=host.strip("[]") or "127.0.0.1",
                port=port,
                sender=env.get(EMAIL_FROM_ENV, "") or "joignable@localhost",
                recipients=recipients,
                username=user or None,
                password=password or None,
                start_tls=start_tls,
                use_tls=use_tls,
            )
        )
    return webhooks, emails, problems


@dataclass(slots=True)
class NotifierStatistics:
    recorded: int = 0
    duplicates: int = 0
    delivered: int = 0
    failed: int = 0
    attempts: int = 0
    in_flight: int = 0
    outcomes: list[Delivery] = field(default_factory=list)


class Notifier:
    """Records alert events and delivers them in background tasks."""

    def __init__(
        self,
        *,
        webhooks: Sequence[WebhookTarget] = (),
        emails: Sequence[EmailTarget] = (),
        history: AlertHistory | None = None,
        center: str = "",
        client: httpx.AsyncClient | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.webhooks = list(webhooks)
        self.emails = list(emails)
        self.history = history
        self.center = center
        self._client = client
        self._own_client = client is None
        self._sleep = sleep
        self._tasks: set[asyncio.Task[None]] = set()
        self.stats = NotifierStatistics()

    def notify(self, event: AlertEvent) -> None:
        """Record `event` and start its deliveries; returns at once."""
        self._start(self._handle(event), event.id)

    def notify_throttle(self, event: ThrottleEvent) -> None:
        """Record a throttle decision in the history (`store/throttles.py`) and
        start its deliveries; returns at once."""
        self._start(self._handle_throttle(event), f"throttle {event.at}")

    def _start(self, job: Awaitable[None], name: str) -> None:
        task = asyncio.ensure_future(job)
        task.set_name(f"notify {name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait until every delivery started so far has finished (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self, wait: bool = True) -> None:
        if wait:
            await self.drain()
        else:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self._client is not None and self._own_client:
            await self._client.aclose()
            self._client = None

    def statistics(self) -> NotifierStatistics:
        self.stats.in_flight = len(self._tasks)
        return self.stats

    # ------------------------------------------------------------ internals

    async def _handle(self, event: AlertEvent) -> None:
        if self.history is not None:
            try:
                fresh = await asyncio.to_thread(self.history.record, event)
            except Exception:
                log.exception("recording alert %s failed", event.id)
                fresh = True  # still tell people: the history is not the alarm
            if not fresh:
                self.stats.duplicates += 1
                return  # already recorded, hence already notified
        self.stats.recorded += 1
        await self._deliver(alert_notice(event, self.center))

    async def _handle_throttle(self, event: ThrottleEvent) -> None:
        if self.history is not None:
            decisions = ThrottleHistory(self.history.engine, self.history.tenant)
            try:
                fresh = await asyncio.to_thread(decisions.record, event)
            except Exception:
                log.exception("recording throttle decision %s failed", event)
                fresh = True
            if not fresh:
                self.stats.duplicates += 1
                return
        self.stats.recorded += 1
        await self._deliver(throttle_notice(event, self.center))

    async def _deliver(self, notice: Notice) -> None:
        jobs = [self.deliver_webhook(t, notice) for t in self.webhooks]
        if notice.mail:
            jobs += [self.send_email(t, notice) for t in self.emails]
        for delivery in await asyncio.gather(*jobs):
            self.stats.outcomes.append(delivery)
            del self.stats.outcomes[:-200]
            if delivery.ok:
                self.stats.delivered += 1
            else:
                self.stats.failed += 1
                log.warning("%s to %s failed: %s", notice.id, delivery.target, delivery.status)
            if self.history is not None:
                try:
                    await asyncio.to_thread(self.history.mark, notice.id, delivery)
                except Exception:
                    log.exception("recording the delivery of %s failed", notice.id)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient()
        return self._client

    async def deliver_webhook(self, target: WebhookTarget, notice: Notice) -> Delivery:
        """POST the signed notice until accepted, a permanent refusal, or out of attempts."""
        status = "not tried"
        for attempt in range(1, target.max_attempts + 1):
            ok, retry, status = await self.post_once(target, notice)
            if ok or not retry:
                return Delivery(target.name, ok, attempt, status)
            if attempt < target.max_attempts:
                await self._sleep(target.delay(attempt))
        return Delivery(target.name, False, target.max_attempts, status)

    async def post_once(self, target: WebhookTarget, notice: Notice) -> tuple[bool, bool, str]:
        """One signed POST of the notice: (accepted, worth retrying, status).
        Never raises for a network failure (it is the status)."""
        body = webhook_body(notice, self.center)
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": notice.id,
            EVENT_HEADER: notice.kind,
            SIGNATURE_HEADER: sign(target.secret, body),
            "User-Agent": "joignable-notify/1",
        }
        self.stats.attempts += 1
        try:
            response = await self._http().post(
                target.url, content=body, headers=headers, timeout=target.timeout_s
            )
        except httpx.HTTPError as exc:
            return False, True, f"{type(exc).__name__}: {exc}"
        status = f"HTTP {response.status_code}"
        if response.is_success:
            return True, False, status
        return False, response.status_code in RETRYABLE, status

    async def send_email(self, target: EmailTarget, notice: Notice) -> Delivery:
        """Send the notice by SMTP, retried with back-off on failure."""
        status = "not tried"
        for attempt in range(1, target.max_attempts + 1):
            ok, _, status = await self.mail_once(target, notice)
            if ok:
                return Delivery(target.name, True, attempt, status)
            if attempt < target.max_attempts:
                await self._sleep(target.delay(attempt))
        return Delivery(target.name, False, target.max_attempts, status)

    async def mail_once(self, target: EmailTarget, notice: Notice) -> tuple[bool, bool, str]:
        """One SMTP send of the notice: (sent, worth retrying, status). Never
        raises for a relay or network failure (it is the status)."""
        self.stats.attempts += 1
        try:
            await aiosmtplib.send(
                notice_email(notice, target),
                hostname=target.host,
                port=target.port,
                username=target.username,
                password=target.password,
                start_tls=target.start_tls,
                use_tls=target.use_tls,
                timeout=target.timeout_s,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            return False, True, f"{type(exc).__name__}: {exc}"
        return True, False, "sent"


def notice_email(notice: Notice, target: EmailTarget) -> EmailMessage:
    """The e-mail telling of one notice (its Message-ID derives from the notice id,
    so a resent message is recognisably the same one)."""
    message = EmailMessage()
    message["Subject"] = notice.subject
    message["From"] = target.sender
    message["To"] = ", ".join(target.recipients)
    digest = hashlib.sha256(notice.id.encode()).hexdigest()[:32]
    message["Message-ID"] = f"<{digest}@joignable>"
    message["X-Joignable-Event-Id"] = notice.id
    message.set_content(notice.text)
    return message
