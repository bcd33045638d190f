"""Hostile loopback servers against every sender: the tests that pin issues 11 and 17 ("Hardening", rounds 2, 3).

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

Round 3 (issue 17):

    1, 2  test_secrets_never_reachable.py   a credential echoed in any JSON position, by v1/v2 single, bulk, listing
                                            calls and by every CLI output (file, sidecar, stdout, stderr)
    3-6   test_listings_end.py              repeated/clamped pages, inflated or absurd counts, labels that ignore
                                            offset, the read-both-ways lane: each listing ends within its bound
    7, 8  test_listing_lifecycle.py         aclose() from another task; a listing (or a bulk stream) continued in
                                            another event loop
    (property)  tests/v2/test_listing_adversary.py   hypothesis: termination, each id at most once, stable exactly once
    9, 11, 13   tests/cli/test_output_owner.py, test_output.py, test_output_full.py (the CLI's files: not per sender)
    10    tests/cli/test_messages.py, tests/bulk/test_stop_after_not_found.py
    12    tests/cli/test_messages.py        reach failures lead with what to check; unknown and abbreviated options
    liberal parsing  tests/v2/test_liberal_parsing.py
"""
