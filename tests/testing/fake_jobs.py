"""Ids of the jobs and images the fake's tests use."""

PROJECT = "fake-project"
CLS_JOB = "282"
DET_JOB = "283"
CAT = "076e3caed758a1c18c91a0e9cae3368f"
BOXES = "1a2b3c"
