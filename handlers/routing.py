"""The routing table: which flow owns an event, declared once, checked at start.

Every flow declares what it owns in a :class:`Routes` value next to its handlers: the
commands it answers (and in which kind of chat), the button actions it decodes (one
:class:`ActionCodec` per kind of button, all under the flow's own prefix), the event kinds it
owns outright (a chat moved, a message edited, the bot added to a group), whether it may own
a text that replies to one of the bot's messages, and whether it may own a private chat's
free text. :class:`RoutingTable` is built from those declarations when the router starts and
refuses two owners for the same thing.

**Who owns an event** (the one rule; :meth:`RoutingTable.owner`):

1. an event kind declared by a flow (``chat_moved``, ``edited``, ``bot_added`` …): that flow;
2. a button: the flow that declared the action's prefix (an unknown prefix: nobody);
3. a text replying to a message the bot sent: a flow declaring ``replies`` that recognises
   the message (a review card, an item prompt) — otherwise it is read as in 5;
4. a command: the flow that declared it for that kind of chat (as people type it: diacritics
   folded, a name split in two words joined, "/help" for "/trogiup" —
   :meth:`RoutingTable.as_declared`; a private text asking for one in words, by the one rule
   of :meth:`RoutingTable.asked`);
5. anything else in a private chat — free text, a sticker, ``/start``, an unknown command:
   the *conversation owner*. A flow declaring ``claims_private`` (the staff flow: a person with
   a role and no dossier of their own) is asked first — and a text it claims that is a staff
   command's name in words («tình hình», «hồ sơ») is that command (:meth:`RoutingTable.asked`),
   routed as in 4; otherwise the one flow declaring ``private_default`` (the candidate's
   conversation);
6. anything else in a group: nobody.

**Outsiders are silent in groups.** A command or a tap in a group is handled by its owner as
above; then, if the one flow declaring ``group_roles`` (the organisation flow, which knows
units, their groups and roles) says the sender holds no role there
(``outsider(tx, event) -> Outsider | None``), nothing of the answer is posted in the group:
a tap keeps only its short callback answer, a command's answer goes to the sender's private
chat if they have started the bot, else nowhere (:class:`Outsider`). Replies the flow
addressed to other chats are left as they are.

Button data has one grammar, ``<prefix>:<verb>[:<field>…][~<seq>]``, produced and read only by
:class:`ActionCodec`; the 64-byte limit of Telegram's ``callback_data`` is checked here, when
the action is encoded.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from forms.framing import spoken_command
from forms.vn import fold
from handlers.events import MAX_ACTION_BYTES, Chat, Event, EventKind

P = TypeVar("P")

ChatScope = Literal["private", "group", "any"]

#: Command names people type for a declared one (an English habit).
COMMAND_ALIASES: Mapping[str, str] = {"help": "trogiup"}
#: a command's name with its number typed on («/duyet12», «/xem12»): Telegram marks it one word
_GLUED = re.compile(r"([a-z]+)(\d+)")
ReplyClaim = Callable[[Any, Event], Awaitable[bool]]  # (tx, event) -> the flow owns it


class ActionTooLong(ValueError):
    """An encoded action over the platform's callback-data limit."""


@dataclass(frozen=True, slots=True)
class Decoded(Generic[P]):
    """A button's action read back: its payload and the question counter it carried."""

    payload: P
    seq: int | None = None


@dataclass(frozen=True)
class ActionCodec(Generic[P]):
    """The callback data of one kind of button: ``<prefix>:<verb>[:<field>…][~<seq>]``.

    ``payload`` is a frozen dataclass whose fields are ``int`` or ``str`` (the last ``str``
    field may contain ``:``), or ``None`` for a button without data. Trailing fields with a
    default are optional: left out of the data while they hold their default (an empty
    string for a field in between), and read back as the default when absent, as in
    ``sec:as:<dossier>:<step>[:<person>]``. ``sequenced`` buttons
    carry the counter of the question they were sent with (``~17``), so a tap on an old
    message can be told from a tap on the current one.
    """

    prefix: str
    verb: str
    payload: type[P] | None = None
    sequenced: bool = False
    heavy: bool = False  # renders a document: deferred to the pool (router.py, rendering.py)

    @functools.cached_property
    def tag(self) -> str:
        return f"{self.prefix}:{self.verb}"

    def _fields(self) -> tuple[dataclasses.Field[Any], ...]:
        return _payload_fields(self.payload) if self.payload is not None else ()  # type: ignore[arg-type]

    def encode(self, payload: P | None = None, *, seq: int | None = None) -> str:
        fields = self._fields()
        values = [getattr(payload, f.name) for f in fields]
        while fields and values and _has_default(fields[len(values) - 1]):
            if values[-1] != fields[len(values) - 1].default:
                break
            values.pop()  # an optional trailing field at its default: left out
        data = ":".join([self.tag, *(str(v) for v in values)])
        if self.sequenced and seq is not None:
            data = f"{data}~{seq}"
        if not 0 < len(data.encode()) <= MAX_ACTION_BYTES:
            raise ActionTooLong(f"button action must be 1..{MAX_ACTION_BYTES} bytes: {data!r}")
        return data

    def matches(self, data: str) -> bool:
        head = data.partition("~")[0]
        return head == self.tag or head.startswith(self.tag + ":")

    def decode(self, data: str) -> Decoded[P] | None:
        """The payload of ``data``, or None when it is not this codec's or is malformed."""
        if not self.matches(data):
            return None
        head, _, seq_text = data.partition("~")
        seq = int(seq_text) if seq_text.isdecimal() else None
        rest = head[len(self.tag) + 1 :] if len(head) > len(self.tag) else ""
        fields = self._fields()
        if not fields:
            return Decoded(None, seq) if not rest else None  # type: ignore[arg-type]
        values = rest.split(":", len(fields) - 1)
        if len(values) < len(fields) and not _has_default(fields[len(values)]):
            return None
        kwargs: dict[str, Any] = {}
        for f, raw in zip(fields, values, strict=False):
            if f.type in (int, "int"):
                if not raw.lstrip("-").isdecimal():  # "²" is a digit, not a number
                    return None
                kwargs[f.name] = int(raw)
            else:
                kwargs[f.name] = raw
        assert self.payload is not None
        return Decoded(self.payload(**kwargs), seq)


@functools.cache
def _payload_fields(payload: type) -> tuple[dataclasses.Field[Any], ...]:
    """A payload class's fields, read once per class (every question encodes ~4 buttons);
    kept here, not on the codec, so a codec stays a plain picklable value."""
    return dataclasses.fields(payload)


def _has_default(f: dataclasses.Field[Any]) -> bool:
    return f.default is not dataclasses.MISSING


@dataclass(frozen=True)
class Routes:
    """What one flow owns (see the module docstring for how the router reads it)."""

    flow: str
    prefix: str = ""  # every action of the flow starts with "<prefix>:"
    commands: Mapping[str, ChatScope] = field(default_factory=dict)
    actions: tuple[ActionCodec[Any], ...] = ()
    heavy_commands: frozenset[str] = frozenset()
    kinds: frozenset[EventKind] = frozenset()
    replies: bool = False  # may own a text replying to one of the bot's messages
    claims_private: bool = False  # asked first for a private chat's free text and /start
    private_default: bool = False  # owns a private chat's free text when no one claims it
    group_roles: bool = False  # tells who is an outsider in a group (one flow may)

    def __post_init__(self) -> None:
        for codec in self.actions:
            if codec.prefix != self.prefix:
                raise ValueError(f"{self.flow}: action {codec.tag} outside prefix {self.prefix}")


class RouteCollision(ValueError):
    """Two flows declared the same command, prefix, action or event kind."""


@dataclass(frozen=True, slots=True)
class Outsider:
    """The sender of a group's command or tap holds no role there (see the module docstring):
    ``private`` is their private chat with the bot, None if they never started it."""

    private: Chat | None = None


class RoutingTable:
    """The routes of all flows, indexed; built once at start (:meth:`build`)."""

    def __init__(self) -> None:
        self.commands: dict[tuple[str, str], str] = {}  # (command, chat kind) -> flow
        self.prefixes: dict[str, str] = {}
        self.kinds: dict[str, str] = {}
        self.reply_flows: list[str] = []
        self.private_claimants: list[str] = []
        self.private_default: str | None = None
        self.group_roles: str | None = None
        self.heavy_commands: set[tuple[str, str]] = set()
        self.heavy_actions: list[ActionCodec[Any]] = []

    @classmethod
    def build(cls, routes: Iterable[Routes]) -> RoutingTable:
        table = cls()
        for r in routes:
            table._add(r)
        return table

    def _claim(self, index: dict[Any, str], key: Any, flow: str, what: str) -> None:
        if key in index and index[key] != flow:
            raise RouteCollision(f"{what} {key!r} declared by {index[key]} and {flow}")
        index[key] = flow

    def _add(self, r: Routes) -> None:
        if r.prefix:
            self._claim(self.prefixes, r.prefix, r.flow, "action prefix")
        for name, scope in r.commands.items():
            kinds = ("private", "group") if scope == "any" else (scope,)
            for kind in kinds:
                self._claim(self.commands, (name, kind), r.flow, "command")
                if name in r.heavy_commands:
                    self.heavy_commands.add((name, kind))
        tags = [c.tag for c in r.actions]
        if len(tags) != len(set(tags)):
            raise RouteCollision(f"{r.flow}: an action declared twice in {tags}")
        self.heavy_actions.extend(c for c in r.actions if c.heavy)
        for kind in r.kinds:
            self._claim(self.kinds, kind, r.flow, "event kind")
        if r.replies:
            self.reply_flows.append(r.flow)
        if r.claims_private:
            self.private_claimants.append(r.flow)
        if r.private_default:
            if self.private_default not in (None, r.flow):
                raise RouteCollision(
                    f"private chats' default owner declared by {self.private_default} and {r.flow}"
                )
            self.private_default = r.flow
        if r.group_roles:
            if self.group_roles not in (None, r.flow):
                raise RouteCollision(f"group roles declared by {self.group_roles} and {r.flow}")
            self.group_roles = r.flow

    # -- reading the table ----------------------------------------------------------------------
    @functools.cached_property
    def spoken_names(self) -> frozenset[str]:
        """The commands a private text asks for by their own name in words: the staff flows'
        (not the private chats' default owner's, whose words are answers), none heavy."""
        return frozenset(
            name
            for (name, kind), flow in self.commands.items()
            if kind == "private"
            and flow != self.private_default
            and (name, kind) not in self.heavy_commands
        )

    def asked(self, event: Event, *, claimed: bool = False) -> Event | None:
        """A private text that asks for a command in words, whole, as that command; None for
        any other event. THE rule, one reader (``forms.framing.spoken_command``), by whose
        the command is:

        - a declared phrase (``[spoken_commands]`` in forms/data/framing.toml: "sửa mục 5",
          "cho em xem tiến độ ạ", "tạm dừng") is its command for everyone, read before the
          owner is asked (:meth:`as_declared`, so a heavy one is known before the person's
          lock); never a text replying to one of the bot's messages (a review's comment);
        - a staff command's own name («tình hình», «chỉ tiêu», «Hồ sơ?»: :attr:`spoken_names`)
          is that command once a flow claiming private texts (the staff flow) has claimed the
          text (``claimed``, asked by the router): never the candidate's (their «xem» is an
          answer), never a heavy one (decided before the lock), no word after it read (a new
          unit's name or an invite's role typed by chance)."""
        if event.kind != "text" or event.chat.kind != "private":
            return None
        if claimed:
            spoken = spoken_command(event.text, self.spoken_names)
        elif not event.reply_to_ref:
            spoken = spoken_command(event.text)
        else:
            return None
        if spoken is None or not self._declared(spoken[0], event.chat):
            return None
        return dataclasses.replace(
            event, kind="command", command=spoken[0], text=spoken[1], spoken=True
        )

    def as_declared(self, event: Event) -> Event:
        """A command as people type it, read as the declared one: with the diacritics of a
        Vietnamese keyboard ("/sửa 15", "/xoá"), its name in two words ("/tiến độ",
        "/nhận xét #12 …"), "/help" for "/trogiup", the number typed on ("/duyet12"); a
        private text asking for one in words
        as :meth:`asked` says. Any other event, and a name no flow declares however it is
        read, is left as it is."""
        if event.kind == "text":
            return self.asked(event) or event
        if event.kind != "command" or self._declared(event.command, event.chat):
            return event
        name = fold(event.command).replace("_", "")  # "/nhận_xét", "/tien_do"
        name = COMMAND_ALIASES.get(name, name)
        text = event.text
        glued = _GLUED.fullmatch(name)
        if glued and self._declared(glued[1], event.chat):  # "/duyet12": "/duyet 12"
            name, text = glued[1], f"{glued[2]} {text}".strip()
        if not self._declared(name, event.chat):
            second, _, rest = text.strip().partition(" ")
            name += fold(second)
            text = rest
            if not second or not self._declared(name, event.chat):
                return event
        return dataclasses.replace(event, command=name, text=text.strip())

    def _declared(self, command: str, chat: Chat) -> bool:
        return (command, chat.kind) in self.commands

    def fixed_owner(self, event: Event) -> str | None:
        """The owner decided by the declarations alone (rules 1, 2 and 4), or None."""
        if event.kind in self.kinds:
            return self.kinds[event.kind]
        if event.kind == "button":
            return self.prefixes.get(event.action.partition(":")[0])
        if event.kind == "command":
            return self.commands.get((event.command, event.chat.kind))
        return None

    def is_heavy(self, event: Event) -> bool:
        if event.kind == "command":
            return (event.command, event.chat.kind) in self.heavy_commands
        if event.kind == "button":
            return any(c.matches(event.action) for c in self.heavy_actions)
        return False
