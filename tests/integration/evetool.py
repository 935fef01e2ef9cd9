#!/usr/bin/env python3
"""evetool: look at an eve.json.  evetool.py table EVE [N] - flows as a table."""
import json
import sys


def table(path, limit=40):
    flows = [json.loads(l) for l in open(path) if '"event_type":"flow"' in l]
    flows.sort(key=lambda o: o['flow']['start'])
    print(f"{'start':26} {'proto':5} {'client':>28}  {'server':<28} {'pkts':>9} {'bytes':>11} {'state':6} {'app':8} history")
    for o in flows[:limit]:
        f = o['flow']
        cli = f"{o['src_ip']}:{o.get('src_port', '')}"
        srv = f"{o['dest_ip']}:{o.get('dest_port', '')}"
        pk = f"{f['pkts_toserver']}/{f['pkts_toclient']}"
        by = f['bytes_toserver'] + f['bytes_toclient']
        app = o.get('app_proto', '')
        print(f"{f['start'][:26]:26} {o['proto']:5} {cli:>28}  {srv:<28} {pk:>9} {by:>11} {o['conn_state']:6} {app:8} {o['history']}")
    if len(flows) > limit:
        print(f'... {len(flows) - limit} more flows')
    print(f'{len(flows)} flows')


if __name__ == '__main__':
    if len(sys.argv) < 3 or sys.argv[1] != 'table':
        sys.exit(__doc__)
    table(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 40)
