"""The two UI catalogues hold the same keys, so switching language never shows a raw key."""

from sanse.i18n import EN, ZH, missing_keys, translate


def test_chinese_and_english_catalogues_have_the_same_keys():
    assert missing_keys() == {"en": set(), "zh": set()}


def test_english_uses_no_placeholder_the_chinese_text_lacks():
    """(English may drop one: it has no measure words like 处/家/起.)"""
    import string

    def fields(text):
        return {name for _, name, _, _ in string.Formatter().parse(text) if name} if isinstance(text, str) else set()

    assert {k for k in ZH if not fields(EN[k]) <= fields(ZH[k])} == set()


def test_unknown_language_falls_back_to_chinese():
    assert translate("fr", "nav.overview") == "总览"
