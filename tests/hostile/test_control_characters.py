"""Issue 11, item 3: credentials, `headers=` values and ids with control characters never reach the wire.

A token read from a file keeps its trailing newline: it is stripped (documented), and the call works on every
sender. A control character inside a credential or a header value is refused when the auth object or the client
is built, with an `InvalidArgumentError` that never echoes the value; an id with one is refused before sending.
Nothing of this is retried: nothing was sent.
"""

from __future__ import annotations

import pytest
from support.servers import JOB, HostileServer

from hostile.leaks import assert_no_secret
from hostile.senders import Waits, make_client, user_auth
from modelarts_async import InvalidArgumentError, ModelArtsClient, RetryPolicy
from modelarts_async._signer import verify_request
from modelarts_async.auth import AKSKAuth, TokenAuth

AK = "AKCONTROL0123456789X"
SK = "skControlSecret0123456789abcdefghij"
SECURITY_TOKEN = "stControlSecurityToken+/=0123456789"
TOKEN = "tkControlToken-0123456789abcdef"
#: C0, DEL and C1 controls (U+0085 NEL is a line break to some readers).
CONTROL = ["\n", "\r", "\r\n", "\x00", "\x7f", "\x1b", "\x85", "\x9f"]


async def test_a_token_read_from_a_file_is_stripped_and_works(server: HostileServer, sender: str) -> None:
    auth = user_auth(sender, TokenAuth, TOKEN + "\n")
    async with make_client(sender, server.url, auth=auth) as client:
        await client.get_image_info_by_id(data_annotation_id=JOB, image_id="img-1")
    assert server.requests[0].headers["x-auth-token"] == TOKEN


async def test_keys_and_a_security_token_read_from_files_are_stripped_and_sign(
    server: HostileServer, sender: str
) -> None:
    auth = user_auth(sender, AKSKAuth, AK + "\n", SK + "\r\n", security_token=" " + SECURITY_TOKEN + "\n")
    async with make_client(sender, server.url, auth=auth) as client:
        await client.get_image_info_by_id(data_annotation_id=JOB, image_id="img-1")
    request = server.requests[0]
    assert request.headers["x-security-token"] == SECURITY_TOKEN
    reason = verify_request(
        request.method,
        request.target,
        list(request.headers.items()),
        request.body,
        secret_key_for={AK: SK}.get,
    )
    assert reason is None, reason


def _make(kind: str, value: str) -> object:
    if kind == "token":
        return TokenAuth(value)
    if kind == "ak":
        return AKSKAuth(value, SK)
    if kind == "sk":
        return AKSKAuth(AK, value)
    return AKSKAuth(AK, SK, security_token=value)


@pytest.mark.parametrize("control", [*CONTROL, "\u2028", "\t"], ids=repr)
@pytest.mark.parametrize("kind", ["token", "ak", "sk", "security_token"])
def test_a_credential_with_an_inner_control_character_is_refused_without_echo(kind: str, control: str) -> None:
    secret = {"token": TOKEN, "ak": AK, "sk": SK, "security_token": SECURITY_TOKEN}[kind]
    value = secret[:10] + control + secret[10:]
    with pytest.raises(InvalidArgumentError) as caught:
        _make(kind, value)
    assert kind in str(caught.value)
    assert_no_secret(caught.value, [secret[:10], secret[10:]], fragment=8)


@pytest.mark.parametrize("value", ["a\r\nX-Injected: 1", "tok\nen", "tok\x00en", "t\u00e9l\u00e9", "\udcff"], ids=repr)
async def test_a_header_value_with_a_control_character_is_refused_when_the_client_is_built(
    server: HostileServer, sender: str, value: str
) -> None:
    secret = "hdControlHeaderToken0123456789" + value
    with pytest.raises(InvalidArgumentError) as caught:
        make_client(sender, server.url, headers={"X-Auth-Token": secret})
    assert "X-Auth-Token" in str(caught.value)
    assert_no_secret(caught.value, ["hdControlHeaderToken0123456789"])
    assert not server.requests


@pytest.mark.parametrize("name", ["X-Bad\r\nName", "X Bad", "", "X-B\u00e4d"], ids=repr)
def test_a_header_name_that_is_not_a_token_is_refused(name: str) -> None:
    with pytest.raises(InvalidArgumentError):
        ModelArtsClient("http://127.0.0.1:9", project_id="p", headers={name: "v"})


@pytest.mark.parametrize("control", CONTROL, ids=repr)
async def test_an_id_with_a_control_character_is_refused_before_sending_and_not_retried(
    server: HostileServer, sender: str, control: str, waits: Waits
) -> None:
    async with make_client(sender, server.url, retry=RetryPolicy(sleep=waits)) as client:
        for arguments in (
            {"image_id": f"img{control}1"},
            {"image_id": "img-1", "data_annotation_id": f"28{control}2"},
            {"image_id": "img-1", "project_id": f"pro{control}ject"},
        ):
            with pytest.raises(InvalidArgumentError) as caught:
                await client.get_image_info_by_id(**{"data_annotation_id": JOB, **arguments})
            assert caught.value.attempts == 1
    assert not server.requests
    assert not waits.seconds
