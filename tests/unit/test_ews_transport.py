"""The EWS HTTP adapter (bridge.providers.ews.transport): a body read in whole reaches
exchangelib's XML parser as one chunk with the same bytes; a streamed body still arrives as it
is read (EWS streaming notifications depend on it)."""

from __future__ import annotations

import io

import requests
import urllib3
from exchangelib.util import to_xml

from bridge.providers.ews.transport import EwsAdapter, WholeBodyResponse

SOAP = (
    b'<?xml version="1.0" encoding="utf-8"?>'
    b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
    b"<m>\xc3\xa9t\xc3\xa9 \xe2\x80\x94 caf\xc3\xa9</m></s:Body></s:Envelope>"
)


def _response(body: bytes, *, read: bool) -> requests.Response:
    prepared = requests.Request("POST", "https://ews.example/EWS/Exchange.asmx").prepare()
    raw = urllib3.HTTPResponse(body=io.BytesIO(body), status=200, preload_content=False)
    response = EwsAdapter().build_response(prepared, raw)
    if read:
        assert response.content == body  # what requests does for stream=False
    return response


def test_a_body_read_in_whole_is_one_chunk_with_the_same_bytes() -> None:
    response = _response(SOAP, read=True)
    assert isinstance(response, WholeBodyResponse)
    chunks = list(response.iter_content())  # exchangelib's call: no chunk size (1 byte)
    assert chunks == [SOAP]
    root = to_xml(response.iter_content())
    assert root.getroot().findtext(".//m") == "été — café"


def test_an_empty_body_yields_nothing() -> None:
    assert list(_response(b"", read=True).iter_content()) == []


def test_a_streamed_body_still_arrives_in_the_chunks_asked_for() -> None:
    response = _response(b"abcdef", read=False)
    assert list(response.iter_content(2)) == [b"ab", b"cd", b"ef"]


def test_decoded_text_is_left_to_requests() -> None:
    response = _response("café".encode(), read=True)
    response.encoding = "utf-8"
    assert "".join(response.iter_content(1, decode_unicode=True)) == "café"
