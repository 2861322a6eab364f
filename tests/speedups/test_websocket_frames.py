"""The RFC 6455 frame kernel: parsing, writing, masking, limits and close codes."""

from __future__ import annotations

import random

import pytest

from fastcore._speedups import websocket_frames as wf
from fastcore._speedups.websocket_frames import FrameParser, build_close, build_frame
from fastcore.exceptions import WebSocketProtocolError

KEY = b"\x37\xfa\x21\x3d"


def client_frame(opcode: int, payload: bytes | str, fin: bool = True) -> bytes:
    return build_frame(opcode, payload, fin, KEY)


def events(parser: FrameParser) -> list[tuple[int, object]]:
    found = []
    while (kind := parser.next_event()) != wf.NEED_DATA:
        if kind == wf.CLOSE:
            found.append((kind, (parser.close_code, parser.close_reason)))
        else:
            found.append((kind, parser.message))
    return found


def refused(data: bytes, **limits: int) -> WebSocketProtocolError:
    parser = FrameParser(**limits)
    parser.feed(data)
    with pytest.raises(WebSocketProtocolError) as info:
        events(parser)
    return info.value


def slow_mask(data: bytes, key: bytes) -> bytes:
    return bytes(byte ^ key[index % 4] for index, byte in enumerate(data))


def test_mask_matches_the_byte_by_byte_definition() -> None:
    rng = random.Random(6455)
    for size in [*range(0, 40), 125, 126, 127, 1000, 65535, 65536, 70001]:
        data = rng.randbytes(size)
        key = rng.randbytes(4)
        assert wf.apply_mask(data, key) == slow_mask(data, key)
        assert wf.apply_mask(wf.apply_mask(data, key), key) == data


@pytest.mark.parametrize(
    ("size", "header"), [(0, 2), (125, 2), (126, 4), (65535, 4), (65536, 10), (200_000, 10)]
)
def test_seven_sixteen_and_sixty_four_bit_lengths_round_trip(size: int, header: int) -> None:
    payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
    assert len(build_frame(wf.OPCODE_BINARY, payload)) == header + size
    frame = client_frame(wf.OPCODE_BINARY, payload)
    assert len(frame) == header + 4 + size
    parser = FrameParser(max_frame=1 << 20)
    parser.feed(frame)
    assert events(parser) == [(wf.BINARY, payload)]


def test_bytes_fed_one_at_a_time_give_the_same_messages() -> None:
    data = (
        client_frame(wf.OPCODE_TEXT, "héllo, wörld €𝄞")
        + client_frame(wf.OPCODE_BINARY, b"\x00" * 300)
        + client_frame(wf.OPCODE_PING, b"are you there")
    )
    parser = FrameParser()
    found = []
    for index in range(len(data)):
        parser.feed(data[index : index + 1])
        found.extend(events(parser))
    assert found == [
        (wf.TEXT, "héllo, wörld €𝄞"),
        (wf.BINARY, b"\x00" * 300),
        (wf.PING, b"are you there"),
    ]
    assert parser.buffered == 0


def test_fragments_are_reassembled_with_control_frames_interleaved() -> None:
    parser = FrameParser()
    parser.feed(
        client_frame(wf.OPCODE_TEXT, "frag", fin=False)
        + client_frame(wf.OPCODE_PING, b"1")
        + client_frame(wf.OPCODE_CONTINUATION, "men", fin=False)
        + client_frame(wf.OPCODE_PONG, b"2")
        + client_frame(wf.OPCODE_CONTINUATION, "ted")
    )
    assert events(parser) == [(wf.PING, b"1"), (wf.PONG, b"2"), (wf.TEXT, "fragmented")]


def test_a_code_point_split_across_fragments_is_valid() -> None:
    encoded = "€".encode()  # three bytes
    parser = FrameParser()
    parser.feed(
        client_frame(wf.OPCODE_TEXT, encoded[:1], fin=False)
        + client_frame(wf.OPCODE_CONTINUATION, encoded[1:2], fin=False)
        + client_frame(wf.OPCODE_CONTINUATION, encoded[2:])
    )
    assert events(parser) == [(wf.TEXT, "€")]


def test_invalid_utf8_fails_at_the_fragment_that_holds_it() -> None:
    parser = FrameParser()
    # The first fragment is valid so far; the second breaks the sequence:
    # the error comes before the message's last fragment arrives.
    parser.feed(client_frame(wf.OPCODE_TEXT, b"ok \xe2\x82", fin=False))
    assert events(parser) == []
    parser.feed(client_frame(wf.OPCODE_CONTINUATION, b"\x28", fin=False))
    with pytest.raises(WebSocketProtocolError) as info:
        parser.next_event()
    assert info.value.code == 1007


@pytest.mark.parametrize(
    "payload",
    [
        b"\xc0\xaf",  # overlong
        b"\xe0\x80\xaf",  # overlong 3-byte
        b"\xed\xa0\x80",  # surrogate
        b"\xf4\x90\x80\x80",  # above U+10FFFF
        b"\xff",
        b"plain ascii then \x80",
        b"\xe2\x82",  # ends inside a sequence
    ],
)
def test_invalid_utf8_text_closes_with_1007(payload: bytes) -> None:
    assert refused(client_frame(wf.OPCODE_TEXT, payload)).code == 1007


def test_invalid_utf8_is_allowed_in_binary_messages() -> None:
    parser = FrameParser()
    parser.feed(client_frame(wf.OPCODE_BINARY, b"\xff\xfe"))
    assert events(parser) == [(wf.BINARY, b"\xff\xfe")]


@pytest.mark.parametrize(
    ("first_byte", "reason"),
    [(0x81 | 0x40, "reserved"), (0x81 | 0x20, "reserved"), (0x83, "opcode"), (0x8B, "opcode")],
)
def test_reserved_bits_and_unknown_opcodes_close_with_1002(first_byte: int, reason: str) -> None:
    frame = bytearray(client_frame(wf.OPCODE_TEXT, "x"))
    frame[0] = first_byte
    error = refused(bytes(frame))
    assert error.code == 1002
    assert reason in error.reason


def test_unmasked_client_frame_closes_with_1002() -> None:
    error = refused(build_frame(wf.OPCODE_TEXT, "hi"))
    assert (error.code, error.reason) == (1002, "unmasked client frame")


def test_masked_server_frame_is_refused_by_a_client_parser() -> None:
    assert refused(client_frame(wf.OPCODE_TEXT, "hi"), expect_masked=False).code == 1002
    parser = FrameParser(expect_masked=False)
    parser.feed(build_frame(wf.OPCODE_TEXT, "hi"))
    assert events(parser) == [(wf.TEXT, "hi")]


def test_fragmented_or_oversized_control_frames_close_with_1002() -> None:
    fragmented = bytearray(client_frame(wf.OPCODE_PING, b"x"))
    fragmented[0] &= 0x7F  # clear FIN
    assert refused(bytes(fragmented)).code == 1002
    # A 126-byte ping needs the 16-bit length form, which a control frame may not use.
    oversized = bytes([0x89, 0x80 | 126, 0, 126]) + KEY + bytes(126)
    assert refused(oversized).code == 1002
    with pytest.raises(ValueError):
        build_frame(wf.OPCODE_PING, bytes(126))


def test_continuation_without_a_start_and_a_message_inside_a_message_close_with_1002() -> None:
    assert refused(client_frame(wf.OPCODE_CONTINUATION, "x")).code == 1002
    nested = client_frame(wf.OPCODE_TEXT, "a", fin=False) + client_frame(wf.OPCODE_TEXT, "b")
    assert refused(nested).code == 1002


def test_a_huge_declared_length_is_refused_from_the_header_alone() -> None:
    header = bytes([0x82, 0x80 | 127]) + (2**40).to_bytes(8, "big")
    parser = FrameParser(max_frame=1 << 20)
    parser.feed(header)  # no payload, no mask key: nothing more is awaited
    with pytest.raises(WebSocketProtocolError) as info:
        parser.next_event()
    assert info.value.code == 1009
    top_bit = bytes([0x82, 0x80 | 127]) + (2**63).to_bytes(8, "big") + KEY
    assert refused(top_bit).code == 1002


def test_message_size_counts_every_fragment() -> None:
    fragments = client_frame(wf.OPCODE_BINARY, bytes(600), fin=False) + client_frame(
        wf.OPCODE_CONTINUATION, bytes(600)
    )
    error = refused(fragments, max_frame=1000, max_message=1000)
    assert (error.code, error.reason) == (1009, "message too big")
    parser = FrameParser(max_frame=1000, max_message=1200)
    parser.feed(fragments)
    assert events(parser) == [(wf.BINARY, bytes(1200))]


def test_close_frames_carry_codes_and_reasons() -> None:
    parser = FrameParser()
    parser.feed(build_close(4001, "bye ✓", KEY) + build_frame(wf.OPCODE_CLOSE, b"", True, KEY))
    assert events(parser) == [(wf.CLOSE, (4001, "bye ✓")), (wf.CLOSE, (1005, ""))]


@pytest.mark.parametrize("code", [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000])
def test_invalid_close_codes_close_with_1002(code: int) -> None:
    frame = build_frame(wf.OPCODE_CLOSE, code.to_bytes(2, "big"), True, KEY)
    assert refused(frame).code == 1002
    assert not wf.valid_close_code(code)


def test_a_close_reason_that_is_not_utf8_closes_with_1007_and_one_byte_with_1002() -> None:
    assert refused(build_frame(wf.OPCODE_CLOSE, b"\x03\xe8\xff", True, KEY)).code == 1007
    assert refused(build_frame(wf.OPCODE_CLOSE, b"\x03", True, KEY)).code == 1002


def test_a_failed_parser_stays_failed() -> None:
    parser = FrameParser()
    parser.feed(build_frame(wf.OPCODE_TEXT, "unmasked"))
    with pytest.raises(WebSocketProtocolError):
        parser.next_event()
    with pytest.raises(RuntimeError):
        parser.next_event()


def test_writer_refuses_bad_input() -> None:
    with pytest.raises(ValueError):
        build_frame(3, b"")
    with pytest.raises(ValueError):
        build_frame(wf.OPCODE_TEXT, b"", mask_key=b"abc")
    with pytest.raises(ValueError):
        build_close(1006)
    with pytest.raises(ValueError):
        build_close(1000, "x" * 124)
    assert build_close(1005) == b"\x88\x00"


def test_accept_key_is_the_rfc_example() -> None:
    # RFC 6455 section 1.3.
    assert wf.accept_key(b"dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert wf.valid_key(b"dGhlIHNhbXBsZSBub25jZQ==")
    assert not wf.valid_key(b"short")
    assert not wf.valid_key(b"!!!!!!!!!!!!!!!!!!!!!!!!")


websockets_frames = pytest.importorskip("websockets.frames", reason="the websockets oracle")


def oracle_parse(data: bytes, mask: bool) -> tuple[int, bytes, bool]:
    from websockets.streams import StreamReader

    reader = StreamReader()
    reader.feed_data(data)
    parser = websockets_frames.Frame.parse(reader.read_exact, mask=mask, max_size=None)
    try:
        next(parser)
    except StopIteration as done:
        frame = done.value
        return int(frame.opcode), bytes(frame.data), frame.fin
    raise AssertionError("the oracle needed more data")


@pytest.mark.parametrize("size", [0, 5, 125, 126, 65535, 65536, 100_000])
def test_frames_agree_with_the_websockets_library(size: int) -> None:
    rng = random.Random(size)
    payload = rng.randbytes(size)
    # Ours, read by the oracle (server frames unmasked, client frames masked).
    assert oracle_parse(build_frame(wf.OPCODE_BINARY, payload), mask=False) == (2, payload, True)
    assert oracle_parse(client_frame(wf.OPCODE_BINARY, payload, fin=False), mask=True) == (
        2,
        payload,
        False,
    )
    # The oracle's masked frames, read by ours.
    theirs = websockets_frames.Frame(websockets_frames.Opcode.BINARY, payload).serialize(
        mask=True, extensions=[]
    )
    parser = FrameParser(max_frame=1 << 20)
    parser.feed(theirs)
    assert events(parser) == [(wf.BINARY, payload)]
