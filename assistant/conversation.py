"""Follow-up questions in the chat: a turn that names only a place or a filter reuses the previous topic."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .normalize import to_simplified
from .regions import Gazetteer

# Words that carry no topic of their own in a follow-up such as 「那贵州呢？」 or 「只看广东的」.
_FILLER = re.compile(
    r"那么|那|呢|吗|嘛|啊|吧|的|又|也|还有|还|怎么样|如何|怎样|情况|方面|这个|这方面|同样|一样|一下|看看|再|"
    r"只看|只要|只查|仅看|换成|换到|改成|改为|看|查|省里|市里|区里|地区|省|市|区|县|呢？|[\s\d，。？！?!、,.：:；;“”\"'（）()]"
)
MIN_TOPIC_CHARS = 2


@dataclass(frozen=True)
class Turn:
    """What one chat turn searches: the topic, and the region it is about (a full path) if any."""

    question: str
    topic: str
    region: str | None
    follow_up: bool = False


def _strip_places(text: str, gazetteer: Gazetteer) -> str:
    text = to_simplified(text)
    for alias in sorted(gazetteer.names, key=len, reverse=True):
        text = text.replace(alias, "")
    return text.strip()


def without_places(question: str, gazetteer: Gazetteer) -> str:
    """The question with the corpus's place names taken out (the topic of a follow-up about another place)."""
    return _strip_places(question, gazetteer) or question


def _residue(question: str, gazetteer: Gazetteer) -> str:
    """The question without place names and filler words: empty for a pure follow-up."""
    return _FILLER.sub("", _strip_places(question, gazetteer))


def resolve_turn(question: str, previous: Turn | None, gazetteer: Gazetteer) -> Turn:
    """Read a question in the light of the previous turn: a bare place or filter reuses its topic."""
    question = question.strip()
    named = gazetteer.mentions(question)
    region = named[0] if len(named) == 1 else None
    if previous is not None and len(_residue(question, gazetteer)) < MIN_TOPIC_CHARS:
        topic = without_places(previous.topic, gazetteer) if region else previous.topic
        return Turn(question, topic, region or previous.region, follow_up=True)
    return Turn(question, question, region)
