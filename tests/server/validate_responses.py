#!/usr/bin/env python3
"""Validates recorded tenancyd responses against the OpenAPI 3.1 document.

usage: validate_responses.py OPENAPI_JSON RECORDED_JSON

RECORDED_JSON is a list of {"method", "route", "status", "content_type",
"body"} (route: the router's pattern, e.g. "/v1/rides/{id}"; body: the
parsed JSON, or null for an empty body). For each, the operation's response
for the status is looked up (the exact code, then "4XX"/"5XX", then
"default"); it must exist, declare the content type when there is a body,
and the body must validate against its schema (JSON Schema draft 2020-12,
which OpenAPI 3.1 uses, with "$ref"s resolved inside the document).

Prints one line per failure and a summary; exits 1 on any failure.
Uses Debian's python3-jsonschema (bookworm: 4.10).
"""
import json
import sys

try:
    import jsonschema
except ImportError:
    print("python3-jsonschema is missing: run scripts/install-deps.sh")
    sys.exit(3)


def main():
    doc = json.load(open(sys.argv[1]))
    recorded = json.load(open(sys.argv[2]))
    jsonschema.Draft202012Validator.check_schema({"$defs": doc["components"]["schemas"]})
    resolver = jsonschema.RefResolver(base_uri="", referrer=doc)
    failures = []
    checked = 0
    seen = set()
    for r in recorded:
        where = "%s %s -> %d" % (r["method"], r["route"], r["status"])
        op = doc["paths"].get(r["route"], {}).get(r["method"].lower())
        if op is None:
            failures.append(where + ": no such operation in the document")
            continue
        responses = op.get("responses", {})
        code = str(r["status"])
        resp = responses.get(code) or responses.get(code[0] + "XX") or responses.get("default")
        if resp is None:
            failures.append(where + ": status not documented")
            continue
        if "$ref" in resp:
            resp = resolver.resolve(resp["$ref"])[1]
        content = resp.get("content")
        if r["body"] is None:
            if content and r["status"] != 204 and r["method"] != "HEAD":
                failures.append(where + ": documented with a body, answered none")
            checked += 1
            continue
        if not content:
            failures.append(where + ": answered a body the document does not declare")
            continue
        ctype = (r.get("content_type") or "").split(";")[0].strip()
        media = content.get(ctype)
        if media is None:
            failures.append(where + ": content type %r not documented (have %s)" % (ctype, list(content)))
            continue
        schema = media.get("schema", {})
        validator = jsonschema.Draft202012Validator(schema, resolver=resolver)
        errors = sorted(validator.iter_errors(r["body"]), key=lambda e: list(e.path))
        for e in errors[:3]:
            failures.append("%s: %s at /%s" % (where, e.message[:200], "/".join(str(p) for p in e.path)))
        checked += 1
        seen.add((r["method"], r["route"], r["status"]))
    for f in failures:
        print("FAIL " + f)
    print("validated %d responses (%d distinct operation/status pairs), %d failures"
          % (checked, len(seen), len(failures)))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
