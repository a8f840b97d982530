from __future__ import annotations

import pytest

from moisson.api.masks import MaskError, MaskParseError, apply_mask, parse_mask


class TestParse:
    def test_nested(self) -> None:
        assert parse_mask("{a,b{c,d{e}},f}") == {
            "a": None,
            "b": {"c": None, "d": {"e": None}},
            "f": None,
        }

    @pytest.mark.parametrize("text", [None, "", "  ", "{}"])
    def test_empty_means_no_mask(self, text: str | None) -> None:
        assert parse_mask(text) is None

    @pytest.mark.parametrize("text", ["{a", "a{b", "{a{b}"])
    def test_missing_closing_bracket(self, text: str) -> None:
        with pytest.raises(MaskParseError, match="Missing closing bracket"):
            parse_mask(text)

    @pytest.mark.parametrize("text", ["{a", "{", "a{b}{c}", "{{a}}"])
    def test_unbalanced(self, text: str) -> None:
        with pytest.raises(MaskParseError):
            parse_mask(text)


class TestApply:
    def test_lists_are_filtered_element_wise(self) -> None:
        data = {"data": [{"a": 1, "b": 2}, {"a": 3}], "total": 2}
        assert apply_mask(data, parse_mask("data{a}")) == {"data": [{"a": 1}, {"a": 3}]}

    def test_sub_mask_on_a_list_of_scalars_is_inconsistent(self) -> None:
        with pytest.raises(MaskError):
            apply_mask({"tags": ["x"]}, parse_mask("tags{a}"))

    def test_no_mask_returns_data_untouched(self) -> None:
        data = {"a": 1}
        assert apply_mask(data, None) is data
