"""Follow-ups in the chat resolve against the previous turn."""

from assistant.conversation import Turn, resolve_turn
from assistant.regions import Gazetteer

GAZETTEER = Gazetteer.from_regions(["青海省", "陕西省榆林市榆阳区", "广东省广州市", "贵州省", "广东省汕尾市"])


def test_a_new_question_starts_a_topic_and_keeps_its_place():
    turn = resolve_turn("广州怎么推进智能建造？", None, GAZETTEER)
    assert turn == Turn("广州怎么推进智能建造？", "广州怎么推进智能建造？", "广东省广州市")


def test_a_bare_place_reuses_the_previous_topic():
    first = resolve_turn("广州怎么推进智能建造？", None, GAZETTEER)
    follow = resolve_turn("那贵州呢？", first, GAZETTEER)
    assert follow.follow_up and follow.region == "贵州省"
    assert follow.topic == "怎么推进智能建造？"  # the old place is not searched for again


def test_a_filter_phrase_reuses_the_topic_with_the_broader_region():
    first = resolve_turn("各地怎么提升旅游服务质量", None, GAZETTEER)
    follow = resolve_turn("只看广东的", first, GAZETTEER)
    assert follow.follow_up and follow.topic == first.topic and follow.region == "广东省"


def test_traditional_script_follow_up():
    first = resolve_turn("计量体系怎么完善", None, GAZETTEER)
    assert resolve_turn("那青海呢", first, GAZETTEER).region == "青海省"


def test_a_new_topic_with_a_place_starts_fresh():
    first = resolve_turn("广州怎么推进智能建造？", None, GAZETTEER)
    turn = resolve_turn("贵州的白酒产业有什么安排", first, GAZETTEER)
    assert not turn.follow_up and turn.topic == "贵州的白酒产业有什么安排" and turn.region == "贵州省"


def test_without_a_previous_turn_a_bare_place_is_its_own_question():
    turn = resolve_turn("贵州呢", None, GAZETTEER)
    assert not turn.follow_up and turn.topic == "贵州呢"


def test_a_place_alone_is_a_follow_up():
    first = resolve_turn("食品安全抽检合格率目标", None, GAZETTEER)
    follow = resolve_turn("汕尾", first, GAZETTEER)
    assert follow.follow_up and follow.region == "广东省汕尾市" and follow.topic == "食品安全抽检合格率目标"
