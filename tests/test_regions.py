"""Region paths, hierarchical filters and place names in questions."""

from assistant.regions import Gazetteer, region_matches, short_name, split_region

CORPUS_REGIONS = ["青海省", "陕西省榆林市榆阳区", "广东省广州市", "贵州省", "广东省汕尾市"]


def test_split_region_at_administrative_boundaries():
    assert split_region("陕西省榆林市榆阳区") == ("陕西省", "榆林市", "榆阳区")
    assert split_region("贵州省") == ("贵州省",)
    assert split_region("广东省广州市") == ("广东省", "广州市")
    assert split_region("内蒙古自治区呼和浩特市") == ("内蒙古自治区", "呼和浩特市")


def test_filter_is_a_prefix_at_a_boundary():
    assert region_matches("陕西省", "陕西省榆林市榆阳区")
    assert region_matches("陕西省榆林市", "陕西省榆林市榆阳区")
    assert region_matches("陕西省榆林市榆阳区", "陕西省榆林市榆阳区")
    assert not region_matches("广东省广州市", "广东省汕尾市")
    assert not region_matches("广东", "广东省广州市")  # not at a boundary: resolve the name first
    assert not region_matches("陕西省榆林市榆阳区", "陕西省榆林市")


def test_short_names():
    assert short_name("广州市") == "广州"
    assert short_name("青海省") == "青海"
    assert short_name("榆阳区") == "榆阳"


def test_gazetteer_resolves_names_aliases_and_traditional_script():
    gazetteer = Gazetteer.from_regions(CORPUS_REGIONS)
    assert gazetteer.resolve("广州") == "广东省广州市"
    assert gazetteer.resolve("广东") == "广东省"
    assert gazetteer.resolve("榆林市") == "陕西省榆林市"
    assert gazetteer.resolve("廣東省") == "广东省"
    assert gazetteer.resolve("上海") is None
    assert gazetteer.children("广东省") == ["广东省广州市", "广东省汕尾市"]


def test_gazetteer_finds_places_named_in_a_question():
    gazetteer = Gazetteer.from_regions(CORPUS_REGIONS)
    assert gazetteer.mentions("那贵州呢？") == ["贵州省"]
    assert gazetteer.mentions("青海的生态旅游质量怎么提升？") == ["青海省"]
    assert set(gazetteer.mentions("广州和汕尾的制造业合格率目标")) == {"广东省广州市", "广东省汕尾市"}
    assert gazetteer.mentions("榆阳区的指标") == ["陕西省榆林市榆阳区"]
    assert gazetteer.mentions("提升服务质量") == []
