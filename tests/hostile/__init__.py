"""Hostile loopback servers against every sender: the tests that pin issue 11 ("Hardening").

Each wire test runs on the three senders (`senders.py`): aiohttp, httpx over the aiohttp pool, httpx over its own
transport. Servers listen on 127.0.0.1 only (`support/servers.py`). By item of the issue:

    1, 4  test_secrets_never_reachable.py   no credential reachable from errors, chains, tracebacks, logs, results
    2     test_wire_errors_typed.py         wire faults are typed, retried, and carry no transport exception
    3     test_control_characters.py        stripped tokens; control characters refused when built, never echoed
    5     test_surrogate_ids.py             a lone-surrogate id is one failed result, the run goes on
    6     test_iam_transient.py             IAM 429/5xx/garbage retried; only a 4xx refusal sticks
    7     test_failing_input.py             results fetched before a failing input are delivered, then its error
    9     test_only_modelarts_errors.py     hostile answers and arguments (hypothesis), client closed in flight
    11    test_deadlines_hold.py            trickling servers and run-wide pauses cannot pass a call's deadline
    12    test_compression_bombs.py         bounded memory under gzip/deflate bombs; NaN/Infinity refused
    13    test_redirects.py                 credentials never follow a redirect to another host
          test_pickling.py                  every error and a failed `ImageResult` survive pickling
"""
