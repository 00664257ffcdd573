#!/usr/bin/python3
"""cascadesign.py: what a node signs with the cluster secret (controlplane/cp_sign.h), for
tests that play a node which has the secret, or check what a node sent (stdlib only).

  cascadesign.py record SECRET REDIS_KEY FIELD JSON
      the record JSON with its "sig", as a node writes it to REDIS_KEY's FIELD
  cascadesign.py hash SECRET REDIS_KEY NAME VALUE [NAME VALUE...]
      the hash's fields and "sig", one per line (NAME, VALUE, ..., sig, SIG): HSET's arguments
  cascadesign.py peer SECRET FROM TO METHOD PATH BODY [TIME_MS]
      the three headers of a request from node FROM to node TO, one "Name: value" a line
      (BODY "" for none; TIME_MS defaults to now)
"""
import hashlib
import hmac
import json
import sys
import time


def key(secret, label):
    return hmac.new(secret.encode(), label.encode(), hashlib.sha256).digest()


def canonical(obj):
    # jansson's JSON_SORT_KEYS | JSON_COMPACT, for the records Cascade writes
    return json.dumps({k: v for k, v in obj.items() if k != "sig"}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False)


def record_sig(secret, redis_key, field, obj):
    msg = b"\0".join([b"cascade record v1", redis_key.encode(), field.encode(),
                      canonical(obj).encode()])
    return hmac.new(key(secret, "cascade records v1"), msg, hashlib.sha256).hexdigest()


def peer_headers(secret, frm, to, method, path, body, time_ms=None):
    t = str(int(time.time() * 1000) if time_ms is None else time_ms)
    digest = hashlib.sha256(body).hexdigest()
    msg = b"\0".join(x.encode() for x in ["cascade peer v1", frm, to, method, path, t, digest])
    sig = hmac.new(key(secret, "cascade peers v1"), msg, hashlib.sha256).hexdigest()
    return {"X-Cascade-Node": frm, "X-Cascade-Time": t, "X-Cascade-Signature": sig}


def main(argv):
    if len(argv) >= 6 and argv[1] == "record":
        obj = json.loads(argv[5])
        obj["sig"] = record_sig(argv[2], argv[3], argv[4], obj)
        print(json.dumps(obj, separators=(",", ":")))
    elif len(argv) >= 6 and argv[1] == "hash" and len(argv) % 2 == 0:
        fields = dict(zip(argv[4::2], argv[5::2]))
        fields["sig"] = record_sig(argv[2], argv[3], "", fields)
        for k, v in fields.items():
            print(k)
            print(v)
    elif len(argv) in (8, 9) and argv[1] == "peer":
        h = peer_headers(argv[2], argv[3], argv[4], argv[5], argv[6], argv[7].encode(),
                         int(argv[8]) if len(argv) == 9 else None)
        for k, v in h.items():
            print("%s: %s" % (k, v))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
