#!/usr/bin/env python3
"""Rewrite a chimera ledger behind its back and recompute the chain, as an attacker would.

usage: rechain.py DB SEQ PAYLOAD
Sets event SEQ's payload to PAYLOAD (canonical JSON), then recomputes prev_hash and hash of
every event from SEQ on, exactly as core/chain.c does: hash = SHA3-256(bytes of the previous
hash || canonical bytes), the canonical bytes being
{"deployment":D,"node":N,"payload":P,"seq":S,"time":T,"topic":X} with D and N null when absent.
The triggers must already be dropped.
"""
import hashlib
import sqlite3
import sys


def jstr(s):
    """A JSON string as util/json.c's json_add_string writes it (UTF-8 left as is)."""
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == '\\':
            out.append('\\\\')
        elif ch == '\n':
            out.append('\\n')
        elif ch == '\r':
            out.append('\\r')
        elif ch == '\t':
            out.append('\\t')
        elif ch == '\b':
            out.append('\\b')
        elif ch == '\f':
            out.append('\\f')
        elif o < 0x20:
            out.append('\\u%04x' % o)
        else:
            out.append(ch)
    out.append('"')
    return ''.join(out)


def opt(s):
    return 'null' if s is None else jstr(s)


def canonical(seq, time, topic, deployment, node, payload):
    return ('{"deployment":' + opt(deployment) + ',"node":' + opt(node) + ',"payload":' + payload +
            ',"seq":' + str(seq) + ',"time":' + jstr(time) + ',"topic":' + jstr(topic) + '}').encode()


def main():
    db, start, payload = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    con = sqlite3.connect(db)
    con.execute('UPDATE events SET payload = ? WHERE seq = ?', (payload, start))
    prev = con.execute('SELECT hash FROM events WHERE seq = ?', (start - 1,)).fetchone()
    prev = prev[0] if prev else '0' * 64
    rows = con.execute('SELECT seq, time, topic, deployment, node, payload FROM events WHERE seq >= ? ORDER BY seq',
                       (start,)).fetchall()
    for seq, time, topic, deployment, node, p in rows:
        h = hashlib.sha3_256(bytes.fromhex(prev) + canonical(seq, time, topic, deployment, node, p)).hexdigest()
        con.execute('UPDATE events SET prev_hash = ?, hash = ? WHERE seq = ?', (prev, h, seq))
        prev = h
    con.commit()
    con.close()


if __name__ == '__main__':
    main()
