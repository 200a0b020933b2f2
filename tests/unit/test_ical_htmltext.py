"""HTML bodies rendered as readable text (bridge.ical.htmltext)."""

from __future__ import annotations

import pytest

from bridge.ical.htmltext import body_text, html_to_text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        (
            "<html><head><title>t</title><style>p{color:red}</style></head>"
            "<body>Does late&nbsp;morning <b>work</b> for you?</body></html>",
            "Does late morning work for you?",
        ),
        ("<p>One</p><p>Two<br>three</p>", "One\n\nTwo\nthree"),
        ("<div>a</div><div>b</div>", "a\nb"),
        (
            "<ul><li>x</li><li>y<ol><li>first</li><li>second</li></ol></li></ul>",
            "- x\n- y\n  1. first\n  2. second",
        ),
        (
            'Join: <a href="https://zoom.us/j/123456789?pwd=abc">Zoom meeting</a> today',
            "Join: Zoom meeting <https://zoom.us/j/123456789?pwd=abc> today",
        ),
        ('<a href="https://example.com/">https://example.com/</a>', "https://example.com/"),
        ('<a href="mailto:a@b.c">a@b.c</a>', "a@b.c"),
        ('<a href="javascript:alert(1)">click</a>', "click"),
        ("5 &lt; 6 &amp;&amp; 7 &gt; 3 &#8212; &eacute;", "5 < 6 && 7 > 3 \u2014 \u00e9"),
        (
            "<table><tr><td>Dial</td><td>+1 555</td></tr><tr><td>ID</td><td>42</td></tr></table>",
            "Dial\t+1 555\nID\t42",
        ),
        (
            "<p class=MsoNormal>Line 1</p><p class=MsoNormal>&nbsp;</p><p class=MsoNormal>Line 2</p>",
            "Line 1\n\nLine 2",
        ),
        ("<script>var x = '<p>no</p>';</script>Yes", "Yes"),
        ("<pre>  keep\n    indent</pre>", "  keep\n    indent"),
        ("<p>unclosed <b>bold", "unclosed bold"),
        ("", ""),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_teams_invitation_keeps_the_join_link_readable() -> None:
    html = (
        '<div style="width:100%"><span>____________</span></div>'
        '<div><div style="margin-bottom:24px"><span style="font-size:24px">Microsoft Teams '
        "meeting</span></div><div><span>Join on your computer, mobile app or room device</span>"
        '</div><div><a href="https://teams.microsoft.com/l/meetup-join/19%3ameeting_X%40thread.v2/0"'
        ' target="_blank"><span>Click here to join the meeting</span></a></div>'
        "<div><span>Meeting ID: </span><span>123 456 789</span></div></div>"
    )
    text = html_to_text(html)
    assert (
        "Click here to join the meeting "
        "<https://teams.microsoft.com/l/meetup-join/19%3ameeting_X%40thread.v2/0>"
    ) in text
    assert "Meeting ID: 123 456 789" in text
    assert "Microsoft Teams meeting\nJoin on your computer" in text


def test_body_text_handles_both_content_types() -> None:
    assert body_text({"contentType": "html", "content": "<p>Hi</p>"}) == "Hi"
    assert body_text({"contentType": "text", "content": "a\r\nb\r\n"}) == "a\nb"
    assert body_text(None) == ""
    assert body_text({"contentType": "html"}) == ""
