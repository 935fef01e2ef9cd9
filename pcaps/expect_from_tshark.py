#!/usr/bin/env python3
"""expect_from_tshark.py - derive the expected flows of a capture with tshark.

Used for pcaps/sessions.pcap (recorded from real servers, so nothing knows its
content "by construction"): tshark's own TCP/UDP stream tracking, not our
code, decides what a flow is. The result replaces that file's entry in
pcaps/expected.json; the other entries (written by craft.py) are kept.

    python3 pcaps/expect_from_tshark.py [pcaps/sessions.pcap] [--print]
    python3 pcaps/expect_from_tshark.py --crosscheck

--print writes the entry to stdout instead of updating expected.json (handy
to cross-check a crafted file: flows without tunnels or fragments should
match what craft.py wrote). --crosscheck compares every crafted file's
flows in expected.json with tshark's and prints MATCH/DIFF per file (the
expected differences are listed in README.md).

Only the standard library is needed (plus the tshark binary). This module
also holds the conventions text and the expected.json merge helper that
craft.py uses, so both writers describe the same format.
"""
import hashlib
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED = os.path.join(HERE, "expected.json")
FORMAT = "mdrprobe-expected/1"

CONVENTIONS = {
    "flow": "A bidirectional flow keyed by (proto, {ip,port} pair, vlan) of the "
            "innermost IP header. client = sender of the first packet of the flow, "
            "except TCP whose first packet is SYN+ACK: then the SYN+ACK sender is "
            "the server (mdrprobe marks history '^').",
    "pkts_bytes": "pkts_* count frames; bytes_* sum the captured frame length "
                  "(pcap caplen, the whole frame incl. link header, tunnel "
                  "headers and Ethernet padding). For tunnelled flows the outer "
                  "frame is counted.",
    "fragments": "A reassembled IP datagram counts all of its fragments as "
                 "packets and all their frame lengths as bytes, at the time of "
                 "the fragment that completes it. Fragments of a datagram that "
                 "never completes belong to no flow (listed in no_flow_frames). "
                 "An exact duplicate fragment that arrives before completion "
                 "counts in the datagram's flow (it was on the wire, like a TCP "
                 "retransmission) - a convention of ours.",
    "icmp": "ICMP/ICMPv6 echo: client_port = server_port = identifier and the "
            "type is normalised to the request type (8 / 128), so request and "
            "reply are one flow - a convention of ours. Other ICMP types: "
            "port fields = type and code.",
    "vlan": "vlan = outermost VLAN id (802.1ad S-tag for QinQ), 0 when untagged; "
            "flows with the same 5-tuple but different vlan are different flows.",
    "tunnel": "Tunnelled traffic is keyed on the innermost headers; the tunnel "
              "object gives the type (gre, vxlan, erspan, ipip), the id (VXLAN "
              "VNI, GRE key, ERSPAN session id; null when absent) and the outer "
              "IP addresses as seen on the client->server packets. The outer "
              "carrier (e.g. the VXLAN UDP 4789 exchange) is not listed as a "
              "flow of its own.",
    "timeouts": "Flows end on idle timeout in packet time: UDP 300 s is assumed "
                "by udp-timeout.pcap; every other file has no silence longer than "
                "60 s inside a flow.",
    "frames": "frames lists the 1-based frame numbers (as tshark -r numbers "
              "them) that belong to the flow; first_ts/last_ts are the pcap "
              "timestamps of its earliest and latest frame (for a fragmented "
              "datagram that is its first fragment, not the completing one).",
    "no_flow_frames": "Frames that belong to no flow, each with a reason: the "
                      "snake_case names of mdrprobe's decode errors (ipv4_trunc, "
                      "ipv4_bad_hlen, ipv4_bad_len, ipv4_bad_version, ipv6_trunc, "
                      "ipv6_bad_exthdr, tcp_trunc, tcp_bad_hlen, udp_trunc, "
                      "udp_bad_len, icmp_trunc, vlan_trunc, eth_trunc, not_ip) or "
                      "frag_incomplete. totals.malformed_frames counts all but "
                      "not_ip and frag_incomplete.",
    "label": "label is the generator's name for a crafted flow (stable across "
             "runs; handy in test messages). Extra per-flow fields (conn_state = "
             "the Zeek conn.log name, reassembled_*, toserver_chunks/gaps, "
             "vlan_tags, mpls_labels_*) come from the generator too.",
    "marked": "Any value that depends on a convention rather than on the bytes "
              "has a 'note' field saying so.",
}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def update_expected(entries, path=EXPECTED):
    """Replace the given {filename: entry} in expected.json, keep the rest."""
    data = {}
    if os.path.exists(path):
        with open(path) as f:
            try:
                data = json.load(f)
            except ValueError:
                data = {}
    files = data.get("files", {})
    files.update(entries)
    out = {
        "format": FORMAT,
        "conventions": CONVENTIONS,
        "files": dict(sorted(files.items())),
    }
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(dumps(out))
        f.write("\n")
    os.replace(tmp, path)


def dumps(obj, ind=0):
    """JSON with one key per line, but lists of scalars on one line."""
    pad = " " * ind
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = ["%s %s: %s" % (pad, json.dumps(k), dumps(v, ind + 1)) for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list):
        if all(not isinstance(v, (dict, list)) for v in obj):
            return json.dumps(obj)
        items = ["%s %s" % (pad, dumps(v, ind + 1)) for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(obj)


FIELDS = [
    "frame.number", "frame.time_epoch", "frame.cap_len", "frame.protocols",
    "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "vlan.id", "ieee8021ad.id",
    "tcp.stream", "tcp.srcport", "tcp.dstport", "tcp.flags.syn", "tcp.flags.ack",
    "udp.stream", "udp.srcport", "udp.dstport",
    "icmp.type", "icmp.ident", "icmpv6.type", "icmpv6.echo.identifier",
]
APPS = ["http", "ftp-data", "ftp", "ssh", "dns", "tls", "smtp", "ntp"]


def tshark_rows(pcap):
    cmd = ["tshark", "-n", "-r", pcap, "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=a", "-E", "aggregator=|"]
    for f in FIELDS:
        cmd += ["-e", f]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if res.returncode != 0:
        raise SystemExit("tshark failed: " + res.stderr.strip())
    for line in res.stdout.splitlines():
        vals = line.split("\t")
        vals += [""] * (len(FIELDS) - len(vals))
        yield {k: v for k, v in zip(FIELDS, vals)}


def last(v):
    return v.split("|")[-1] if v else ""


def first(v):
    return v.split("|")[0] if v else ""


def linktype(pcap):
    with open(pcap, "rb") as f:
        hdr = f.read(24)
    magic = hdr[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        return int.from_bytes(hdr[20:24], "little")
    if magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        return int.from_bytes(hdr[20:24], "big")
    return None


def tshark_version():
    try:
        out = subprocess.run(["tshark", "--version"], capture_output=True,
                             text=True, timeout=30).stdout
        return out.splitlines()[0].strip()
    except (OSError, IndexError, subprocess.SubprocessError):
        return "tshark"


def derive(pcap):
    flows = {}
    order = []
    no_flow = []
    nframes = 0
    for r in tshark_rows(pcap):
        nframes += 1
        num = int(r["frame.number"])
        ts = float(r["frame.time_epoch"])
        caplen = int(r["frame.cap_len"])
        protos = r["frame.protocols"].split(":")
        if r["ip.src"] or r["ipv6.src"]:
            # innermost IP header (tshark lists every occurrence)
            idx4 = max((i for i, p in enumerate(protos) if p == "ip"), default=-1)
            idx6 = max((i for i, p in enumerate(protos) if p == "ipv6"), default=-1)
            ipv = 6 if idx6 > idx4 else 4
            src = last(r["ipv6.src"] if ipv == 6 else r["ip.src"])
            dst = last(r["ipv6.dst"] if ipv == 6 else r["ip.dst"])
        else:
            no_flow.append({"frame": num, "reason": "not_ip"})
            continue
        # outermost tag: an 802.1ad S-tag comes before any 802.1Q tag
        vlan = int(first(r["ieee8021ad.id"]) or first(r["vlan.id"]) or 0)
        syn = ack = False
        icmp_type = None
        if r["tcp.stream"]:
            proto, fid = "tcp", ("tcp", last(r["tcp.stream"]))
            sport, dport = int(last(r["tcp.srcport"])), int(last(r["tcp.dstport"]))
            syn = last(r["tcp.flags.syn"]) in ("1", "True")
            ack = last(r["tcp.flags.ack"]) in ("1", "True")
        elif r["udp.stream"]:
            proto, fid = "udp", ("udp", last(r["udp.stream"]))
            sport, dport = int(last(r["udp.srcport"])), int(last(r["udp.dstport"]))
        elif r["icmp.type"] or r["icmpv6.type"]:
            proto = "icmp" if r["icmp.type"] else "ipv6-icmp"
            t = int(last(r["icmp.type"] or r["icmpv6.type"]))
            ident = last(r["icmp.ident"] or r["icmpv6.echo.identifier"])
            echo = {0: 8, 8: 8, 129: 128, 128: 128}
            if t in echo and ident:
                ident = int(ident, 0)
                sport = dport = ident
                icmp_type = echo[t]
            else:
                sport, dport = t, 0
                icmp_type = t
            a, b = sorted([(src, sport), (dst, dport)])
            fid = (proto, a, b, vlan, icmp_type)
        else:
            no_flow.append({"frame": num, "reason": "no_l4_in_tshark"})
            continue
        if fid not in flows:
            client, server = (src, sport), (dst, dport)
            first_synack = proto == "tcp" and syn and ack
            if first_synack:
                client, server = server, client
            f = {
                "proto": proto, "ip_version": ipv,
                "client_ip": client[0], "client_port": client[1],
                "server_ip": server[0], "server_port": server[1],
                "vlan": vlan,
                "pkts_toserver": 0, "pkts_toclient": 0,
                "bytes_toserver": 0, "bytes_toclient": 0,
                "first_ts": ts, "last_ts": ts,
                "app": None, "tunnel": None, "frames": [],
            }
            if icmp_type is not None:
                f["icmp_type"] = icmp_type
            if first_synack:
                f["note"] = "first packet is SYN+ACK: its sender is the server (convention)"
            flows[fid] = f
            order.append(fid)
        f = flows[fid]
        toserver = (src, sport) == (f["client_ip"], f["client_port"]) and \
            (dst, dport) == (f["server_ip"], f["server_port"])
        d = "toserver" if toserver else "toclient"
        f["pkts_" + d] += 1
        f["bytes_" + d] += caplen
        f["last_ts"] = ts
        f["frames"].append(num)
        if f["app"] is None:
            for a in APPS:
                if a in protos:
                    f["app"] = a
                    break
    out = []
    for fid in order:
        f = flows[fid]
        f["first_ts"] = round(f["first_ts"], 6)
        f["last_ts"] = round(f["last_ts"], 6)
        out.append(f)
    return {
        "generator": "record-sessions.sh (real servers in netns), flows by "
                     "expect_from_tshark.py from %s stream tracking" % tshark_version(),
        "linktype": linktype(pcap),
        "frames": nframes,
        "sha256": sha256(pcap),
        "flows": out,
        "no_flow_frames": no_flow,
        "totals": {
            "flows": len(out),
            "tcp_flows": sum(1 for f in out if f["proto"] == "tcp"),
            "udp_flows": sum(1 for f in out if f["proto"] == "udp"),
            "flow_pkts": sum(f["pkts_toserver"] + f["pkts_toclient"] for f in out),
            "flow_bytes": sum(f["bytes_toserver"] + f["bytes_toclient"] for f in out),
        },
        "note": "Timestamps, ssh/dns/ftp-data ephemeral ports and ssh bytes vary "
                "between recordings; regenerate expected.json together with the "
                "pcap. app = first application protocol tshark recognised in the "
                "flow (informational).",
    }


CMP_KEYS = ["proto", "client_ip", "client_port", "server_ip", "server_port", "vlan",
            "pkts_toserver", "pkts_toclient", "bytes_toserver", "bytes_toclient", "frames"]


def crosscheck(path=EXPECTED):
    """Compare craft.py's flows with tshark's view of the same files.

    Informational: tshark legitimately differs where our conventions go
    further than its stream tracking - it counts only the frame that
    completes a fragmented datagram, does not put the VLAN in its stream
    ids, has no idle timeouts, and dissects some malformed frames.
    """
    with open(path) as f:
        files = json.load(f)["files"]
    d = os.path.dirname(os.path.abspath(path))
    for name, entry in files.items():
        if not entry.get("generator", "").startswith("craft.py"):
            continue
        pcap = os.path.join(d, name)
        if not os.path.exists(pcap):
            print("%-18s MISSING" % name)
            continue
        if sha256(pcap) != entry.get("sha256"):
            print("%-18s SHA256 MISMATCH (pcap and expected.json out of step)" % name)
        t = derive(pcap)
        a = sorted(tuple(json.dumps(f[k]) for k in CMP_KEYS) for f in entry["flows"])
        b = sorted(tuple(json.dumps(f[k]) for k in CMP_KEYS) for f in t["flows"])
        if a == b:
            print("%-18s MATCH (%d flows)" % (name, len(a)))
            continue
        print("%-18s DIFF" % name)
        for x in a:
            if x not in b:
                print("    craft.py only: %s" % " ".join(x[:10]))
        for x in b:
            if x not in a:
                print("    tshark only:   %s" % " ".join(x[:10]))
    return 0


def main(argv):
    if "--crosscheck" in argv:
        return crosscheck()
    args = [a for a in argv if not a.startswith("--")]
    pcap = args[0] if args else os.path.join(HERE, "sessions.pcap")
    entry = derive(pcap)
    if "--print" in argv:
        print(dumps(entry))
        return 0
    update_expected({os.path.basename(pcap): entry})
    print("expect_from_tshark: %s: %d frames, %d flows -> %s" % (
        os.path.basename(pcap), entry["frames"], len(entry["flows"]), EXPECTED))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
