"""bumper.shapes.cel_text: where a CEL expression's string literals and comments are."""

from __future__ import annotations

from bumper.shapes.cel_text import cel_strings_and_comments


def spans(text: str) -> list[str]:
    return [text[start:end] for start, end in cel_strings_and_comments(text)]


def test_strings_of_each_quote_and_comments_to_the_line_end() -> None:
    text = 'a: "x\\"y", b: \'z\', // c: "w"\r\nd: """q"r""", e: r"\\", f'
    assert spans(text) == ['"x\\"y"', "'z'", '// c: "w"', '"""q"r"""', 'r"\\"'[1:]]


def test_a_comment_mark_inside_a_string_is_no_comment() -> None:
    assert spans('url: "https://x", image: "a:1"') == ['"https://x"', '"a:1"']


def test_an_unterminated_literal_ends_at_its_line() -> None:
    assert spans('"open\nimage: "a:1"') == ['"open', '"a:1"']
