#!/usr/bin/env python3
"""What trail should make of a document, by Python's json module.

Used by t/002_robustness.pl as the oracle for damaged plain-JSON inputs.
Usage: trail_oracle.py FILE...  -- prints, per file, one line:

    FILE<TAB>ok<TAB>N<TAB>id1,id2,...   the N records trail must return, with
                                        their eventID ('~' when absent or
                                        null, '?' when not a string)
    FILE<TAB>error                      trail must raise an error

It follows the shapes of trail's README ("What it reads") on top of a
strict parse: UTF-8 decoded strictly (trail rejects invalid UTF-8, and
encoded surrogates), NaN/Infinity rejected (not JSON), a leading UTF-8 BOM
skipped, records inside JSON strings with \\u0000 and unpaired surrogates
replaced by U+FFFD before they are parsed (as trail does), and a file that
holds no events is an error (it is named on its own).  Every record's
eventTime and eventCategory are checked as trail checks them.
"""

import calendar
import json
import re
import sys

RECORD_KEYS = ("eventVersion", "eventTime", "eventSource", "eventName",
               "eventID", "userIdentity", "insightDetails", "eventType",
               "awsRegion")
WS = re.compile(r"[ \t\n\r]*")


class Bad(Exception):
    pass


def reject_constant(name):
    raise Bad("not JSON: " + name)


class Obj(list):
    """A JSON object as its (key, value) pairs: order and duplicates kept."""


def as_dict(p):
    return dict(p)  # the last duplicate wins, as in trail


DEC = json.JSONDecoder(object_pairs_hook=Obj, parse_constant=reject_constant)


def embedded(s):
    s = "".join("\ufffd" if (c == "\x00" or 0xD800 <= ord(c) <= 0xDFFF) else c
                for c in s)
    try:
        v = json.loads(s, object_pairs_hook=Obj, parse_constant=reject_constant)
    except (ValueError, Bad):
        raise Bad("embedded record is not JSON")
    if not isinstance(v, Obj):
        raise Bad("embedded record is not an object")
    return v


CATEGORIES = ("Management", "Data", "Insight", "NetworkActivity")
TIME_EXTENDED = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})")
TIME_BASIC = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})[Tt]([0-9]{2})([0-9]{2})([0-9]{2})")
FRACTION = re.compile(r"[.,][0-9]+")
OFFSET = re.compile(r"[+-]([0-9]{2}):?([0-9]{2})?")


def valid_time(s):
    """trail's reading of an eventTime string (src/convert.c)."""
    if len(s) < 15:
        return False
    m = (TIME_EXTENDED if s[4] == "-" else TIME_BASIC).match(s)
    if not m:
        return False
    year, month, day, hour, minute, second = (int(x) for x in m.groups())
    p = m.end()
    if s[p:p + 1] in (".", ","):
        f = FRACTION.match(s, p)
        if not f:
            return False
        p = f.end()
    rest = s[p:]
    if rest not in ("", "Z", "z"):
        o = OFFSET.fullmatch(rest)
        if not o or int(o.group(1)) > 23 or int(o.group(2) or 0) > 59:
            return False
    if year < 1 or not 1 <= month <= 12 or day < 1 or hour > 23 or minute > 59 or second > 60:
        return False
    return day <= calendar.monthrange(year, month)[1]


def valid_epoch(v):
    v = float(v)
    if v != v or v in (float("inf"), float("-inf")):
        return False
    if abs(v) >= 1e11:
        v /= 1000.0
    return -210866803200.0 <= v < 9224318016000.0


def check_always(r):
    """What trail checks on every record, whatever a query selects."""
    d = as_dict(r)
    t = d.get("eventTime")
    if t is not None:
        if isinstance(t, bool) or not isinstance(t, (str, int, float)):
            raise Bad("eventTime is of the wrong type")
        if isinstance(t, str) and not valid_time(t):
            raise Bad("eventTime is not a time")
        if not isinstance(t, str) and not valid_epoch(t):
            raise Bad("eventTime is not a time")
    c = d.get("eventCategory")
    if c is not None and c not in CATEGORIES:
        raise Bad("eventCategory is not a known category")


class State:
    def __init__(self):
        self.content = None  # None, 'events', 'other', 'digest'
        self.records = []
        self.passed = 0  # values that are not records, before any record

    def record(self, r):
        if self.passed:
            raise Bad("values before the first record are not records")
        check_always(r)
        self.records.append(r)
        self.content = "events"

    def other(self):
        if self.content is None:
            self.content = "other"


def has_record_key(d):
    return any(k in d for k in RECORD_KEYS)


def unit_object(st, o, strict):
    d = as_dict(o)
    if isinstance(d.get("detail-type"), str) and isinstance(d.get("detail"), Obj):
        if "eventVersion" in as_dict(d["detail"]):
            st.record(d["detail"])
        else:
            st.other()
        return
    if isinstance(d.get("CloudTrailEvent"), str):
        st.record(embedded(d["CloudTrailEvent"]))
        return
    if has_record_key(d):
        st.record(o)
        return
    if "digestS3Object" in d or ("logFiles" in d and "awsAccountId" in d):
        if st.content is None:
            st.content = "digest"
        return
    if strict or st.content == "events":
        raise Bad("object is not a record")
    st.passed += 1
    st.other()


def wrapper(o):
    """(key, array, members before it) of a Records-like wrapper, or None."""
    for i, (k, v) in enumerate(o):
        if k in ("Records", "Events", "logEvents") and isinstance(v, list) \
                and not isinstance(v, Obj):
            return k, v, o[:i]
    return None


def top_value(st, v):
    if isinstance(v, Obj):
        w = wrapper(v)
        if w is None:
            unit_object(st, v, False)
            return
        key, items, before = w
        if st.content is None:
            st.content = "events"
        control = as_dict(before).get("messageType") == "CONTROL_MESSAGE"
        for it in items:
            if not isinstance(it, Obj):
                raise Bad("record is not an object")
            d = as_dict(it)
            if key == "Records":
                st.record(it)
            elif key == "Events":
                if isinstance(d.get("CloudTrailEvent"), str):
                    st.record(embedded(d["CloudTrailEvent"]))
                else:
                    unit_object(st, it, True)
            else:
                if control:
                    continue
                if not isinstance(d.get("message"), str):
                    raise Bad("log event has no message")
                st.record(embedded(d["message"]))
        return
    if isinstance(v, list):
        if not v and st.content is None:
            st.content = "events"
        for it in v:
            if isinstance(it, Obj):
                unit_object(st, it, False)
            elif st.content == "events":
                raise Bad("record is not an object")
            else:
                st.passed += 1
                st.other()
        return
    raise Bad("scalar at the top")


def oracle(data):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Bad("not UTF-8")
    if text.startswith("\ufeff"):
        text = text[1:]
    st = State()
    pos = WS.match(text, 0).end()
    while pos < len(text):
        if text[pos] not in "{[":
            raise Bad("not an object or array")
        try:
            v, pos = DEC.raw_decode(text, pos)
        except ValueError:
            raise Bad("invalid JSON")
        top_value(st, v)
        pos = WS.match(text, pos).end()
    if st.content != "events":
        raise Bad("no events")
    return st.records


def event_id(r):
    d = as_dict(r)
    if "eventID" not in d or d["eventID"] is None:
        return "~"
    if not isinstance(d["eventID"], str):
        return "?"
    # what PostgreSQL's json operators cannot give back, or a line cannot hold
    if any(ord(c) < 0x20 or 0xD800 <= ord(c) <= 0xDFFF for c in d["eventID"]):
        return "!"
    return d["eventID"]


def main():
    for path in sys.argv[1:]:
        with open(path, "rb") as fh:
            data = fh.read()
        try:
            recs = oracle(data)
        except (Bad, RecursionError):
            print("%s\terror" % path)
            continue
        print("%s\tok\t%d\t%s" % (path, len(recs), ",".join(event_id(r) for r in recs)))


if __name__ == "__main__":
    main()
