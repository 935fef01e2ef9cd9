#!/usr/bin/env python3
"""Clear-text credentials: the user name and the flag are recorded, the
password appears in no output file.

The captures of the nDPI 4.2 corpus that carry a clear-text login (the
passwords were read from the captures with tshark's "Follow TCP stream")
are run through the probe; for each, the flow event must have
credentials {protocol, username, cleartext: true}, and every file the run
wrote (eve.json, stats.json) is searched for the password (and its base64
form where the protocol sends it so). Crafted sessions of every supported
protocol are checked the same way by tests/unit/test_applayer.c.
"""
import base64
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

CASES = [  # capture, protocol, user, password, forms the password may take on the wire
    ('ftp.pcap', 'ftp', 'anonymous', 'NcFTP@', []),
    ('pop3.pcap', 'pop3', 'cicciopernacchio@mail.com', 'pippozzo', []),
    ('imap.pcap', 'imap', 'samir', 'pfres', []),
    ('http_auth.pcap', 'http', 'test', 'fail2', [base64.b64encode(b'test:fail2').decode()]),
]


def main():
    base = common.need_shared('corpus/ndpi-4.2/tests/pcap')
    bad = 0
    for pcap, proto, user, password, forms in CASES:
        out = tempfile.mkdtemp(prefix='mdrcred')
        try:
            common.run_probe(['-r', os.path.join(base, pcap), '--set', 'geoip.city-db=',
                              '--set', 'geoip.asn-db='], outdir=out)
            creds = [o['credentials'] for o in common.read_eve(os.path.join(out, 'eve.json'))
                     if 'credentials' in o]
            want = {'protocol': proto, 'username': user, 'cleartext': True}
            if want not in creds:
                bad += 1
                print(f'FAIL {pcap}: expected credentials {want}, got {creds}')
            for name in sorted(os.listdir(out)):
                data = open(os.path.join(out, name), 'rb').read()
                for secret in [password] + forms:
                    if secret.encode() in data:
                        bad += 1
                        print(f'FAIL {pcap}: {name} contains the password ({secret!r})')
            print(f'{pcap}: {proto} user {user!r}, clear-text flag, password in no output file')
        finally:
            shutil.rmtree(out, ignore_errors=True)
    print(f'credentials: {len(CASES) - bad}/{len(CASES)} captures clean')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
