#!/usr/bin/env python3
"""craft.py - write the crafted edge-case captures of mdrprobe and their
expected flows.

    python3 pcaps/craft.py [--out DIR] [--only NAME[,NAME...]]

Every capture is built packet by packet with scapy, with fixed addresses
(documentation ranges 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
2001:db8::/32 and private 10.0.0.0/8 for tunnel payloads) and fixed
timestamps (first frame at 1700000000.000000, +1 ms per frame unless a case
needs silence). The same code that writes a frame records which flow it
belongs to, so pcaps/expected.json is computed from what was written, never
typed by hand. The pcap files are written by this script (classic pcap,
microsecond timestamps), not by scapy, so caplen/wirelen are exact.

Needs scapy: Debian's python3-scapy (installed with apt-get when missing and
running as root). Debian's scapy lives in /usr/bin/python3's dist-packages,
so when started from another interpreter the script re-executes itself with
/usr/bin/python3.
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SYS_PY = "/usr/bin/python3"


def _bootstrap_scapy():
    try:
        import scapy  # noqa: F401
        return
    except ImportError:
        pass
    ok = os.path.exists(SYS_PY) and subprocess.run(
        [SYS_PY, "-c", "import scapy"], capture_output=True).returncode == 0
    if not ok and os.geteuid() == 0:
        print("craft.py: installing python3-scapy", file=sys.stderr)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends",
                        "python3-scapy"], env=env, check=False, timeout=900)
        ok = os.path.exists(SYS_PY) and subprocess.run(
            [SYS_PY, "-c", "import scapy"], capture_output=True).returncode == 0
    if ok and os.path.realpath(sys.executable) != os.path.realpath(SYS_PY) \
            and not os.environ.get("MDRP_CRAFT_REEXEC"):
        os.environ["MDRP_CRAFT_REEXEC"] = "1"
        os.execv(SYS_PY, [SYS_PY, os.path.abspath(__file__)] + sys.argv[1:])
    try:
        import scapy  # noqa: F401
    except ImportError:
        sys.exit("craft.py: scapy not found; apt-get install python3-scapy")


_bootstrap_scapy()

import logging  # noqa: E402
import struct  # noqa: E402
from collections import OrderedDict, defaultdict  # noqa: E402

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import (ARP, GRE, ICMP, IP, TCP, UDP, CookedLinux, Dot1AD,  # noqa: E402
                       Dot1Q, Ether, ICMPv6EchoReply, ICMPv6EchoRequest, IPv6,
                       IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                       IPv6ExtHdrHopByHop, Raw, conf)
from scapy.contrib.erspan import ERSPAN_II  # noqa: E402
from scapy.contrib.mpls import MPLS  # noqa: E402
from scapy.layers.vxlan import VXLAN  # noqa: E402
from scapy.packet import NoPayload  # noqa: E402

sys.path.insert(0, HERE)
from expect_from_tshark import sha256, update_expected  # noqa: E402

conf.verb = 0

T0_US = 1_700_000_000 * 1_000_000   # first frame of every file
STEP_US = 1_000                     # 1 ms between frames
LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LINUX_SLL = 1, 101, 113

MAC_A = "02:00:00:00:00:0a"
MAC_B = "02:00:00:00:00:0b"
MAC_VTEP_A = "02:00:00:00:01:0a"
MAC_VTEP_B = "02:00:00:00:01:0b"


# ------------------------------------------------------------------ capture
class Capture:
    """Frames of one pcap plus what each belongs to."""

    def __init__(self, name, description, linktype=LINKTYPE_ETHERNET):
        self.name = name
        self.description = description
        self.linktype = linktype
        self.items = []
        self.next_us = T0_US
        self.dgrams = {}
        self.meta = defaultdict(OrderedDict)
        self.file_notes = []

    # one frame: a scapy packet (flow key read from its layers) or raw bytes
    def add(self, pkt, flow=None, at=None, dgram=None, reason=None, what=None,
            pad_to=0, wirelen=None):
        if at is None:
            at = self.next_us
        assert at >= T0_US
        self.next_us = at + STEP_US
        data = bytes(pkt)
        if len(data) < pad_to:          # Ethernet padding after the IP packet
            data += b"\x00" * (pad_to - len(data))
        self.items.append({
            "ts": at, "data": data, "wirelen": len(data) if wirelen is None else wirelen,
            "pkt": None if isinstance(pkt, (bytes, bytearray)) else pkt,
            "flow": flow, "dgram": dgram, "reason": reason, "what": what,
        })

    def skip(self, seconds):
        self.next_us += int(round(seconds * 1_000_000))

    def set_meta(self, flow, **kw):
        self.meta[flow].update(kw)

    def new_dgram(self, label, full, flow, complete):
        assert label not in self.dgrams
        self.dgrams[label] = {"full": full, "flow": flow, "complete": complete}

    def merge(self, *lanes):
        """Interleave the frames of several lanes round-robin."""
        lanes = [list(lane.items) for lane in lanes]
        while any(lanes):
            for lane in lanes:
                if lane:
                    pkt, kw = lane.pop(0)
                    self.add(pkt, **kw)

    # ------------------------------------------------------ bookkeeping
    def ordered(self):
        order = sorted(range(len(self.items)), key=lambda i: (self.items[i]["ts"], i))
        frames = [self.items[i] for i in order]
        for n, it in enumerate(frames, 1):
            it["frame"] = n
        return frames

    def write(self, path):
        frames = self.ordered()
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, self.linktype))
            for it in frames:
                sec, usec = divmod(it["ts"], 1_000_000)
                f.write(struct.pack("<IIII", sec, usec, len(it["data"]), it["wirelen"]))
                f.write(it["data"])
        return frames

    def expected(self, path):
        frames = self.ordered()
        dg_frames = defaultdict(list)
        for it in frames:
            if it["dgram"]:
                dg_frames[it["dgram"]].append(it)
        events, no_flow = [], []
        for it in frames:
            if it["dgram"]:
                dg = self.dgrams[it["dgram"]]
                if not dg["complete"]:
                    no_flow.append({"frame": it["frame"], "reason": "frag_incomplete",
                                    "what": "fragment of datagram %s that never completes"
                                    % it["dgram"]})
                elif it is dg_frames[it["dgram"]][-1]:
                    events.append((dg["flow"], analyse(dg["full"]), dg_frames[it["dgram"]]))
            elif it["flow"]:
                events.append((it["flow"], analyse(it["pkt"]), [it]))
            else:
                no_flow.append({"frame": it["frame"], "reason": it["reason"], "what": it["what"]})
        flows = OrderedDict()
        for label, k, its in events:
            f = flows.get(label)
            ends = sorted([(k["src"], k["sport"]), (k["dst"], k["dport"])])
            if f is None:
                client, server = (k["src"], k["sport"]), (k["dst"], k["dport"])
                notes = []
                synack_first = k["proto"] == "tcp" and "S" in k["flags"] and "A" in k["flags"]
                if synack_first:
                    client, server = server, client
                    notes.append("first packet is SYN+ACK, so its sender is the server "
                                 "(convention; mdrprobe history gets '^')")
                f = OrderedDict([
                    ("label", label), ("proto", k["proto"]), ("ip_version", k["ipv"]),
                    ("client_ip", client[0]), ("client_port", client[1]),
                    ("server_ip", server[0]), ("server_port", server[1]),
                    ("vlan", k["vlan"]),
                    ("pkts_toserver", 0), ("pkts_toclient", 0),
                    ("bytes_toserver", 0), ("bytes_toclient", 0),
                    ("first_ts", None), ("last_ts", None),
                    ("tunnel", None), ("frames", []),
                ])
                if k["icmp_type"] is not None:
                    f["icmp_type"] = k["icmp_type"]
                    if k["echo"]:
                        notes.append("ICMP echo keyed with client_port = server_port = "
                                     "identifier %d, type normalised to the request type "
                                     "(convention)" % k["sport"])
                    else:
                        notes.append("ICMP non-echo: ports = type/code (convention)")
                if k["vlan"] and len(k["vlans"]) > 1:
                    notes.append("vlan is the outermost tag of %s (convention)" % k["vlans"])
                f["_ends"], f["_notes"], f["_key"] = ends, notes, (k["proto"], k["ipv"], k["vlan"])
                f["_times"] = []
                flows[label] = f
            assert f["_ends"] == ends and f["_key"] == (k["proto"], k["ipv"], k["vlan"]), \
                "%s: flow %s mixes keys %s / %s" % (self.name, label, f["_ends"], ends)
            toserver = (k["src"], k["sport"]) == (f["client_ip"], f["client_port"]) and \
                (k["dst"], k["dport"]) == (f["server_ip"], f["server_port"])
            d = "toserver" if toserver else "toclient"
            if toserver and k["tunnel"] and f["tunnel"] is None:
                f["tunnel"] = k["tunnel"]
            # an event happens when its last frame arrives (for a datagram:
            # the fragment that completes it)
            f["_times"].append(max(it["ts"] for it in its))
            for it in its:
                f["pkts_" + d] += 1
                f["bytes_" + d] += len(it["data"])
                f["frames"].append(it["frame"])
        out = []
        for label, f in flows.items():
            f["frames"].sort()
            f["first_ts"] = min(f["_times"]) / 1e6
            f["last_ts"] = max(f["_times"]) / 1e6
            del f["_times"]
            notes = f.pop("_notes")
            del f["_ends"], f["_key"]
            for k2, v in self.meta.get(label, {}).items():
                if k2 == "note":
                    notes.append(v)
                else:
                    f[k2] = v
            if notes:
                f["note"] = "; ".join(notes)
            out.append(f)
        reasons = defaultdict(int)
        for nf in no_flow:
            reasons[nf["reason"]] += 1
        entry = OrderedDict([
            ("generator", "craft.py (scapy, by construction)"),
            ("description", self.description),
            ("linktype", self.linktype),
            ("frames", len(frames)),
            ("sha256", sha256(path)),
            ("flows", out),
            ("no_flow_frames", no_flow),
            ("totals", OrderedDict([
                ("flows", len(out)),
                ("flow_pkts", sum(f["pkts_toserver"] + f["pkts_toclient"] for f in out)),
                ("flow_bytes", sum(f["bytes_toserver"] + f["bytes_toclient"] for f in out)),
                ("no_flow_frames", len(no_flow)),
                ("malformed_frames", sum(1 for nf in no_flow
                                         if nf["reason"] not in ("not_ip", "frag_incomplete"))),
                ("no_flow_reasons", dict(sorted(reasons.items()))),
            ])),
        ])
        if self.file_notes:
            entry["note"] = " ".join(self.file_notes)
        return entry


class Lane:
    """Frames collected aside, to be interleaved by Capture.merge()."""

    def __init__(self):
        self.items = []

    def add(self, pkt, **kw):
        assert "at" not in kw
        self.items.append((pkt, kw))


def layers_of(pkt):
    out = []
    while pkt is not None and not isinstance(pkt, NoPayload):
        out.append(pkt)
        pkt = pkt.payload
    return out


def analyse(pkt):
    """Flow key of a constructed frame, read from the layers we put in it."""
    ls = layers_of(pkt)
    vlans = [l.vlan for l in ls if isinstance(l, Dot1Q)]  # Dot1AD is a Dot1Q
    ipi = [i for i, l in enumerate(ls) if type(l) in (IP, IPv6)]
    inner_i = ipi[-1]
    ip = ls[inner_i]
    k = {"ipv": 6 if isinstance(ip, IPv6) else 4, "src": ip.src, "dst": ip.dst,
         "vlan": vlans[0] if vlans else 0, "vlans": vlans, "flags": "",
         "icmp_type": None, "echo": False, "tunnel": None}
    l4 = None
    for l in ls[inner_i + 1:]:
        if isinstance(l, (TCP, UDP, ICMP, ICMPv6EchoRequest, ICMPv6EchoReply)):
            l4 = l
            break
    if isinstance(l4, TCP):
        k.update(proto="tcp", sport=l4.sport, dport=l4.dport, flags=str(l4.flags))
    elif isinstance(l4, UDP):
        k.update(proto="udp", sport=l4.sport, dport=l4.dport)
    elif isinstance(l4, ICMP):
        t = l4.type
        if t in (0, 8):
            k.update(proto="icmp", sport=l4.id, dport=l4.id, icmp_type=8, echo=True)
        else:
            k.update(proto="icmp", sport=t, dport=l4.code, icmp_type=t)
    elif isinstance(l4, (ICMPv6EchoRequest, ICMPv6EchoReply)):
        k.update(proto="ipv6-icmp", sport=l4.id, dport=l4.id, icmp_type=128, echo=True)
    else:
        raise ValueError("no L4 in %r" % pkt.summary())
    if len(ipi) > 1:
        outer = ls[ipi[0]]
        between = ls[ipi[0] + 1:inner_i]
        if any(isinstance(l, VXLAN) for l in between):
            t = ("vxlan", next(l.vni for l in between if isinstance(l, VXLAN)))
        elif any(isinstance(l, ERSPAN_II) for l in between):
            t = ("erspan", next(l.session_id for l in between if isinstance(l, ERSPAN_II)))
        elif any(isinstance(l, GRE) for l in between):
            g = next(l for l in between if isinstance(l, GRE))
            t = ("gre", g.key if g.key_present else None)
        else:
            t = ("ipip", None)
        k["tunnel"] = OrderedDict([("type", t[0]), ("id", t[1]), ("depth", len(ipi) - 1),
                                   ("outer_ip_version", 6 if isinstance(outer, IPv6) else 4),
                                   ("outer_src", outer.src), ("outer_dst", outer.dst)])
    return k


# ------------------------------------------------------------------ wrappers
# A wrap(c2s, l3) turns an IP packet into the frame that carries it.
def eth_wrap(vlans=(), mac_c=MAC_A, mac_s=MAC_B):
    def wrap(c2s, l3):
        f = Ether(src=mac_c if c2s else mac_s, dst=mac_s if c2s else mac_c)
        for i, v in enumerate(vlans):
            f = f / (Dot1AD(vlan=v) if (i == 0 and len(vlans) > 1) else Dot1Q(vlan=v))
        return f / l3
    return wrap


def vxlan_wrap(vtep_c, vtep_s, vni):
    def wrap(c2s, l3):
        inner = Ether(src=MAC_A if c2s else MAC_B, dst=MAC_B if c2s else MAC_A) / l3
        return (Ether(src=MAC_VTEP_A if c2s else MAC_VTEP_B, dst=MAC_VTEP_B if c2s else MAC_VTEP_A)
                / IP(src=vtep_c if c2s else vtep_s, dst=vtep_s if c2s else vtep_c, ttl=64,
                     flags="DF", id=0)
                / UDP(sport=50001 if c2s else 50002, dport=4789, chksum=0)
                / VXLAN(flags=0x08, vni=vni) / inner)
    return wrap


def gre_wrap(tep_c, tep_s, key=None):
    def wrap(c2s, l3):
        g = GRE(key_present=1, key=key) if key is not None else GRE()
        return (Ether(src=MAC_VTEP_A if c2s else MAC_VTEP_B, dst=MAC_VTEP_B if c2s else MAC_VTEP_A)
                / IP(src=tep_c if c2s else tep_s, dst=tep_s if c2s else tep_c, ttl=64, proto=47)
                / g / l3)
    return wrap


def erspan_wrap(sensor, collector, session_id):
    seq = [0]

    def wrap(c2s, l3):
        seq[0] += 1
        inner = Ether(src=MAC_A if c2s else MAC_B, dst=MAC_B if c2s else MAC_A) / l3
        # a mirror session: every copy goes sensor -> collector, whatever
        # the direction of the mirrored frame
        return (Ether(src=MAC_VTEP_A, dst=MAC_VTEP_B)
                / IP(src=sensor, dst=collector, ttl=64, proto=47, flags="DF")
                / GRE(seqnum_present=1, sequence_number=seq[0], proto=0x88BE)
                / ERSPAN_II(ver=1, vlan=0, cos=0, en=0, t=0, session_id=session_id, index=1)
                / inner)
    return wrap


def mpls_wrap(labels_c2s, labels_s2c):
    def wrap(c2s, l3):
        labels = labels_c2s if c2s else labels_s2c
        f = Ether(src=MAC_A if c2s else MAC_B, dst=MAC_B if c2s else MAC_A, type=0x8847)
        for i, lab in enumerate(labels):
            f = f / MPLS(label=lab, s=1 if i == len(labels) - 1 else 0, ttl=64)
        return f / l3
    return wrap


def ipip_wrap(tep_c, tep_s):
    def wrap(c2s, l3):
        return (Ether(src=MAC_VTEP_A if c2s else MAC_VTEP_B, dst=MAC_VTEP_B if c2s else MAC_VTEP_A)
                / IP(src=tep_c if c2s else tep_s, dst=tep_s if c2s else tep_c, ttl=64,
                     proto=41 if isinstance(l3, IPv6) else 4)
                / l3)
    return wrap


def sll_wrap():
    def wrap(c2s, l3):
        mac = bytes.fromhex((MAC_A if c2s else MAC_B).replace(":", "")) + b"\x00\x00"
        return CookedLinux(pkttype=4 if c2s else 0, lladdrtype=1, lladdrlen=6, src=mac,
                           proto=0x86DD if isinstance(l3, IPv6) else 0x0800) / l3
    return wrap


def raw_wrap():
    return lambda c2s, l3: l3


# ------------------------------------------------------------------ TCP
class Tcp:
    """One TCP connection; tracks sequence numbers, emits frames."""

    def __init__(self, out, flow, cip, sip, cport, sport, wrap=None, isn_c=0x10000000,
                 isn_s=0x20000000, c_ext=None, pad_to=0):
        self.out, self.flow = out, flow
        self.cip, self.sip, self.cport, self.sport = cip, sip, cport, sport
        self.wrap = wrap or eth_wrap()
        self.v6 = ":" in cip
        self.isn = {True: isn_c, False: isn_s}
        self.nxt = {True: isn_c, False: isn_s}
        self.ipid = {True: 0x1000, False: 0x5000}
        self.c_ext = c_ext
        self.pad_to = pad_to

    def ip(self, c2s):
        src, dst = (self.cip, self.sip) if c2s else (self.sip, self.cip)
        if self.v6:
            h = IPv6(src=src, dst=dst, hlim=64)
            if c2s and self.c_ext:
                h = h / self.c_ext()
            return h
        self.ipid[c2s] += 1
        return IP(src=src, dst=dst, ttl=64, id=self.ipid[c2s], flags="DF")

    def rel(self, c2s, off):
        """Absolute sequence number of data byte `off` of a direction."""
        return (self.isn[c2s] + 1 + off) & 0xffffffff

    def pkt(self, c2s, flags, payload=b"", seq=None, ack=None, at=None, **kw):
        s = self.nxt[c2s] if seq is None else seq
        a = self.nxt[not c2s] if ack is None else ack
        opts = [("MSS", 1460)] if "S" in flags else []
        tcp = TCP(sport=self.cport if c2s else self.sport, dport=self.sport if c2s else self.cport,
                  flags=flags, seq=s, ack=a if "A" in flags else 0, window=64240, options=opts)
        l3 = self.ip(c2s) / tcp
        if payload:
            l3 = l3 / Raw(payload)
        frame = self.wrap(c2s, l3)
        if at is not None:
            kw["at"] = at
        if self.pad_to:
            kw["pad_to"] = self.pad_to
        self.out.add(frame, flow=self.flow, **kw)
        if seq is None:
            self.nxt[c2s] = (s + len(payload) + (1 if ("S" in flags or "F" in flags) else 0)) \
                & 0xffffffff
        return frame

    def syn(self, **kw):
        return self.pkt(True, "S", ack=0, **kw)

    def handshake(self):
        self.syn()
        self.pkt(False, "SA")
        self.pkt(True, "A")

    def data(self, c2s, payload, ack_it=True):
        self.pkt(c2s, "PA", payload)
        if ack_it:
            self.pkt(not c2s, "A")

    def close(self, c2s_first=True):
        self.pkt(c2s_first, "FA")
        self.pkt(not c2s_first, "FA")
        self.pkt(c2s_first, "A")


def tcp_session(out, flow, cip, sip, cport, sport, req, resp, **kw):
    """3WHS, one request, one response, FIN/FIN."""
    t = Tcp(out, flow, cip, sip, cport, sport, **kw)
    t.handshake()
    t.data(True, req)
    t.data(False, resp)
    t.close(True)
    return t


HTTP_REQ = b"GET /index.html HTTP/1.1\r\nHost: www.example.test\r\nUser-Agent: mdrprobe-craft\r\n\r\n"
HTTP_RESP = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 22\r\n\r\n"
             b"hello from mdrprobe!\r\n")


# ------------------------------------------------------------------ fragments
def ipv4_fragments(ip_pkt, chunk):
    raw = bytes(ip_pkt)
    ihl = (raw[0] & 0x0F) * 4
    proto = raw[9]
    payload = raw[ihl:]
    assert chunk % 8 == 0
    frags = []
    for off in range(0, len(payload), chunk):
        part = payload[off:off + chunk]
        mf = off + chunk < len(payload)
        frags.append(IP(src=ip_pkt.src, dst=ip_pkt.dst, id=ip_pkt.id, ttl=ip_pkt.ttl,
                        proto=proto, flags="MF" if mf else 0, frag=off // 8) / Raw(part))
    return frags


def ipv6_fragments(ip6_pkt, chunk, ident):
    raw = bytes(ip6_pkt)
    nh = raw[6]
    payload = raw[40:]
    assert chunk % 8 == 0
    frags = []
    for off in range(0, len(payload), chunk):
        part = payload[off:off + chunk]
        mf = off + chunk < len(payload)
        frags.append(IPv6(src=ip6_pkt.src, dst=ip6_pkt.dst, hlim=ip6_pkt.hlim)
                     / IPv6ExtHdrFragment(nh=nh, offset=off // 8, m=1 if mf else 0, id=ident)
                     / Raw(part))
    return frags


def add_fragmented(cap, flow, label, wrap, c2s, l3, frags, order=None, dup=None, drop=None):
    """Send the fragments of datagram l3 in `order` (indexes), the fragment
    `dup` twice in a row, and never the fragment `drop`."""
    cap.new_dgram(label, wrap(c2s, l3), flow, complete=drop is None)
    order = list(range(len(frags))) if order is None else order
    seq = []
    for i in order:
        if i == drop:
            continue
        seq.append(i)
        if i == dup:
            seq.append(i)
    for i in seq:
        cap.add(wrap(c2s, frags[i]), dgram=label)
    if drop is None:
        m = cap.meta[flow]
        m["fragmented_datagrams"] = m.get("fragmented_datagrams", 0) + 1
        m["fragment_frames"] = m.get("fragment_frames", 0) + len(seq)
        if dup is not None:
            m["duplicate_fragments"] = m.get("duplicate_fragments", 0) + 1


def text(n, tag):
    """n bytes of deterministic ASCII."""
    line = ("%s: the quick brown fox jumps over the lazy dog 0123456789\n" % tag).encode()
    return (line * (n // len(line) + 1))[:n]


# ------------------------------------------------------------------ cases
def case_ipv4_frag():
    cap = Capture("ipv4-frag.pcap", "IPv4 fragmentation: UDP and ICMP echo in 3 fragments "
                  "in order, UDP in reverse order, UDP with a duplicate fragment, UDP with "
                  "the middle fragment missing (never completes).")
    w = eth_wrap()
    c, s = "192.0.2.1", "198.51.100.1"

    # 1. UDP 1200-byte payload, 3 fragments in order; unfragmented reply
    dg = IP(src=c, dst=s, id=0x0101, ttl=64) / UDP(sport=40001, dport=5001) / Raw(text(1192, "frag-udp-inorder"))
    add_fragmented(cap, "udp-inorder", "d1", w, True, dg, ipv4_fragments(dg, 400))
    cap.add(w(False, IP(src=s, dst=c, id=0x0201, ttl=64) / UDP(sport=5001, dport=40001) / Raw(b"ack in-order")),
            flow="udp-inorder")

    # 2. ICMP echo request and reply, each 3 fragments in order
    for c2s, ipid in ((True, 0x0102), (False, 0x0202)):
        src, dst = (c, s) if c2s else (s, c)
        dg = IP(src=src, dst=dst, id=ipid, ttl=64) / ICMP(type=8 if c2s else 0, id=0x4d52, seq=1) \
            / Raw(text(1192, "frag-icmp-echo"))
        add_fragmented(cap, "icmp-echo", "d2-%s" % ("req" if c2s else "rep"), w, c2s, dg,
                       ipv4_fragments(dg, 400))

    # 3. UDP, 3 fragments in reverse order (last first)
    dg = IP(src=c, dst=s, id=0x0103, ttl=64) / UDP(sport=40003, dport=5003) / Raw(text(1192, "frag-udp-reverse"))
    add_fragmented(cap, "udp-reverse", "d3", w, True, dg, ipv4_fragments(dg, 400), order=[2, 1, 0])

    # 4. UDP, the middle fragment sent twice (exact duplicate, before completion)
    dg = IP(src=c, dst=s, id=0x0104, ttl=64) / UDP(sport=40004, dport=5004) / Raw(text(1192, "frag-udp-dup"))
    add_fragmented(cap, "udp-dup", "d4", w, True, dg, ipv4_fragments(dg, 400), dup=1)
    cap.set_meta("udp-dup", note="includes one exact duplicate fragment received before "
                 "completion, counted in pkts/bytes (convention)")

    # 5. UDP, middle fragment missing: no flow
    dg = IP(src=c, dst=s, id=0x0105, ttl=64) / UDP(sport=40005, dport=5005) / Raw(text(1192, "frag-udp-incomplete"))
    add_fragmented(cap, "udp-incomplete", "d5", w, True, dg, ipv4_fragments(dg, 400), drop=1)
    cap.file_notes.append("Datagram d5 (UDP 40005->5005) misses its middle fragment: its 2 "
                          "fragments belong to no flow (frag_incomplete; with the default 60 s "
                          "fragment timeout they are dropped at expiry or end of capture).")
    return cap


def case_ipv6_frag():
    cap = Capture("ipv6-frag.pcap", "IPv6 fragment extension header (UDP in 3 fragments in "
                  "order, and in reverse order), and a TCP session whose client packets carry "
                  "hop-by-hop + destination options headers before TCP.")
    w = eth_wrap()
    c, s = "2001:db8::1", "2001:db8::2"
    dg = IPv6(src=c, dst=s, hlim=64) / UDP(sport=40001, dport=5001) / Raw(text(1192, "frag6-udp-inorder"))
    add_fragmented(cap, "udp6-inorder", "d1", w, True, dg, ipv6_fragments(dg, 400, 0x1001))
    cap.add(w(False, IPv6(src=s, dst=c, hlim=64) / UDP(sport=5001, dport=40001) / Raw(b"ack v6 in-order")),
            flow="udp6-inorder")
    dg = IPv6(src=c, dst=s, hlim=64) / UDP(sport=40002, dport=5002) / Raw(text(1192, "frag6-udp-reverse"))
    add_fragmented(cap, "udp6-reverse", "d2", w, True, dg, ipv6_fragments(dg, 400, 0x1002),
                   order=[2, 1, 0])

    def ext():
        return IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt()
    tcp_session(cap, "tcp6-exthdr", c, s, 40003, 80, HTTP_REQ, HTTP_RESP, c_ext=ext)
    cap.set_meta("tcp6-exthdr", ipv6_ext_headers_toserver=["hop-by-hop", "destination-options"])
    return cap


def case_vxlan():
    cap = Capture("vxlan.pcap", "Inner TCP session (3WHS, request, response, FIN close) in "
                  "VXLAN (UDP 4789, VNI 42) between VTEPs 192.0.2.10 and 192.0.2.20, both "
                  "directions encapsulated.")
    w = vxlan_wrap("192.0.2.10", "192.0.2.20", 42)
    tcp_session(cap, "vxlan-tcp", "10.0.0.1", "10.0.0.2", 43210, 80, HTTP_REQ, HTTP_RESP, wrap=w)
    cap.file_notes.append("The outer UDP 4789 exchange between the VTEPs is not a flow of its "
                          "own (tunnel convention); outer UDP checksum is 0.")
    return cap


def case_gre():
    cap = Capture("gre.pcap", "IPv4-in-GRE inner TCP session without key, and another in "
                  "GRE with key 0x1234 (different inner 5-tuple).")
    tcp_session(cap, "gre-nokey", "10.0.1.1", "10.0.1.2", 43001, 80, HTTP_REQ, HTTP_RESP,
                wrap=gre_wrap("192.0.2.30", "192.0.2.31"))
    tcp_session(cap, "gre-key", "10.0.1.1", "10.0.1.2", 43002, 8080, HTTP_REQ, HTTP_RESP,
                wrap=gre_wrap("192.0.2.30", "192.0.2.31", key=0x1234))
    return cap


def case_erspan():
    cap = Capture("erspan.pcap", "ERSPAN type II (GRE 0x88BE with sequence numbers, session "
                  "id 7) from sensor 192.0.2.40 to collector 192.0.2.41 carrying an inner "
                  "Ethernet TCP session (both directions mirrored).")
    tcp_session(cap, "erspan-tcp", "10.0.2.1", "10.0.2.2", 44001, 80, HTTP_REQ, HTTP_RESP,
                wrap=erspan_wrap("192.0.2.40", "192.0.2.41", 7))
    cap.set_meta("erspan-tcp", note="every ERSPAN copy goes sensor->collector, so the outer "
                 "addresses are the same in both directions")
    return cap


def case_qinq():
    cap = Capture("qinq.pcap", "TCP session under 802.1ad S-tag 100 + 802.1Q C-tag 200; "
                  "then two interleaved sessions with the same 5-tuple, one in 802.1Q vlan 300 "
                  "and one untagged, which must be two flows.")
    tcp_session(cap, "qinq-100-200", "192.0.2.50", "198.51.100.50", 45001, 80, HTTP_REQ,
                HTTP_RESP, wrap=eth_wrap(vlans=(100, 200)))
    cap.set_meta("qinq-100-200", vlan_tags=[100, 200])
    la, lb = Lane(), Lane()
    tcp_session(la, "vlan-300", "192.0.2.51", "198.51.100.51", 45002, 80, HTTP_REQ, HTTP_RESP,
                wrap=eth_wrap(vlans=(300,)))
    tcp_session(lb, "untagged", "192.0.2.51", "198.51.100.51", 45002, 80, HTTP_REQ, HTTP_RESP,
                wrap=eth_wrap())
    cap.merge(la, lb)
    cap.set_meta("vlan-300", vlan_tags=[300], note="same 5-tuple as flow 'untagged'; "
                 "only the VLAN id distinguishes them (frames interleaved)")
    cap.set_meta("untagged", vlan_tags=[], note="same 5-tuple as flow 'vlan-300'")
    return cap


def case_mpls():
    cap = Capture("mpls.pcap", "TCP session under a 2-label MPLS stack (labels 1000/2000 "
                  "client->server, 3000/4000 server->client).")
    tcp_session(cap, "mpls-tcp", "192.0.2.60", "198.51.100.60", 46001, 80, HTTP_REQ,
                HTTP_RESP, wrap=mpls_wrap([1000, 2000], [3000, 4000]))
    cap.set_meta("mpls-tcp", mpls_labels_toserver=[1000, 2000], mpls_labels_toclient=[3000, 4000])
    return cap


def case_ipip():
    cap = Capture("ipip.pcap", "IPv4-in-IPv4 (proto 4) UDP exchange, and IPv6-in-IPv4 "
                  "(6in4, proto 41) UDP exchange plus an ICMPv6 echo request/reply.")
    w = ipip_wrap("192.0.2.70", "192.0.2.71")
    c4, s4, c6, s6 = "10.0.3.1", "10.0.3.2", "2001:db8:3::1", "2001:db8:3::2"
    for i in range(2):
        cap.add(w(True, IP(src=c4, dst=s4, ttl=64, id=0x300 + i) / UDP(sport=47001, dport=7)
                  / Raw(b"ipip ping %d" % i)), flow="ipip-udp")
        cap.add(w(False, IP(src=s4, dst=c4, ttl=64, id=0x400 + i) / UDP(sport=7, dport=47001)
                  / Raw(b"ipip pong %d" % i)), flow="ipip-udp")
    for i in range(2):
        cap.add(w(True, IPv6(src=c6, dst=s6, hlim=64) / UDP(sport=47002, dport=7)
                  / Raw(b"6in4 ping %d" % i)), flow="6in4-udp")
        cap.add(w(False, IPv6(src=s6, dst=c6, hlim=64) / UDP(sport=7, dport=47002)
                  / Raw(b"6in4 pong %d" % i)), flow="6in4-udp")
    cap.add(w(True, IPv6(src=c6, dst=s6, hlim=64) / ICMPv6EchoRequest(id=0x6e34, seq=1, data=b"6in4 echo")),
            flow="6in4-icmp6")
    cap.add(w(False, IPv6(src=s6, dst=c6, hlim=64) / ICMPv6EchoReply(id=0x6e34, seq=1, data=b"6in4 echo")),
            flow="6in4-icmp6")
    return cap


def small_udp_exchange(cap, w, flow, c, s, cport, sport, n=2, tag=b"udp"):
    for i in range(n):
        mk = (lambda a, b: IPv6(src=a, dst=b, hlim=64)) if ":" in c else \
             (lambda a, b: IP(src=a, dst=b, ttl=64, id=0x700 + i))
        cap.add(w(True, mk(c, s) / UDP(sport=cport, dport=sport) / Raw(tag + b" request %d" % i)), flow=flow)
        cap.add(w(False, mk(s, c) / UDP(sport=sport, dport=cport) / Raw(tag + b" response %d" % i)), flow=flow)


def case_sll():
    cap = Capture("sll.pcap", "Linux cooked capture (linktype 113): small UDP exchange over "
                  "IPv4 and one over IPv6.", LINKTYPE_LINUX_SLL)
    w = sll_wrap()
    small_udp_exchange(cap, w, "sll-udp4", "192.0.2.80", "198.51.100.80", 48001, 9000, tag=b"sll")
    small_udp_exchange(cap, w, "sll-udp6", "2001:db8:80::1", "2001:db8:80::2", 48002, 9000, tag=b"sll6")
    return cap


def case_rawip():
    cap = Capture("rawip.pcap", "Raw IP (linktype 101, no link header): small UDP exchange "
                  "over IPv4 and one over IPv6.", LINKTYPE_RAW)
    w = raw_wrap()
    small_udp_exchange(cap, w, "raw-udp4", "192.0.2.90", "198.51.100.90", 49001, 9001, tag=b"raw")
    small_udp_exchange(cap, w, "raw-udp6", "2001:db8:90::1", "2001:db8:90::2", 49002, 9001, tag=b"raw6")
    return cap


REASM_REQ = (b"POST /reassembly/check HTTP/1.1\r\nHost: reasm.example.test\r\n"
             b"Content-Length: 44\r\n\r\nThe quick brown fox jumps over the lazy dog.")
REASM_RESP = b"HTTP/1.1 204 No Content\r\nX-Reasm: ok\r\n\r\n"
GAP_PARTS = (b"GAP-PART-ONE:aaaaaaaaaaaaaaaaaaaaaaaaaaaa|",
             b"GAP-PART-TWO:bbbbbbbbbbbbbbbbbbbbbbbbbbbb|",   # never sent
             b"GAP-PART-THREE:cccccccccccccccccccccccccc|")
GAP_RESP = b"ERR incomplete request\n"


def case_tcp_reasm():
    cap = Capture("tcp-reasm.pcap", "TCP stream reassembly: session 1 sends its request in "
                  "4 segments out of order, with an exact retransmission and an overlapping "
                  "segment (overlap carries identical bytes); session 2 loses a middle "
                  "segment for good (a gap).")
    c, s = "192.0.2.100", "198.51.100.100"
    t = Tcp(cap, "reasm-ooo", c, s, 50001, 80)
    t.handshake()
    msg = REASM_REQ
    n = len(msg)
    cuts = [0, 30, 60, 90, n]
    segs = [(cuts[i], msg[cuts[i]:cuts[i + 1]]) for i in range(4)]

    def send(off, data, what):
        t.pkt(True, "PA", data, seq=t.rel(True, off))
        log.append(OrderedDict([("rel_seq", off), ("len", len(data)), ("kind", what)]))

    def sack(upto):
        t.pkt(False, "A", ack=t.rel(True, upto))

    log = []
    send(*segs[0], "in order")                  # [0,30)
    sack(30)
    send(*segs[2], "out of order (ahead)")      # [60,90)
    sack(30)                                    # dup ack
    send(*segs[1], "fills the hole")            # [30,60)
    sack(90)
    send(*segs[1], "retransmission (exact)")    # [30,60) again
    sack(90)
    send(75, msg[75:], "overlap: [75,90) again + new tail")
    sack(n)
    t.nxt[True] = t.rel(True, n)
    t.data(False, REASM_RESP)
    t.close(True)
    cap.set_meta("reasm-ooo",
                 reassembled_toserver=msg.decode(), reassembled_toclient=REASM_RESP.decode(),
                 toserver_segments=log,
                 note="client->server payload (rel_seq = byte offset after the SYN) arrives "
                      "out of order, with an exact retransmission and an overlap whose "
                      "bytes equal the original, so the stream is the same under any "
                      "overlap policy")

    t2 = Tcp(cap, "reasm-gap", c, s, 50002, 80, isn_c=0xfffffff0, isn_s=0x7ffffff0)
    t2.handshake()
    p1, p2, p3 = GAP_PARTS
    t2.pkt(True, "PA", p1, seq=t2.rel(True, 0))
    t2.pkt(False, "A", ack=t2.rel(True, len(p1)))
    t2.pkt(True, "PA", p3, seq=t2.rel(True, len(p1) + len(p2)))
    t2.pkt(False, "A", ack=t2.rel(True, len(p1)))
    end = len(p1) + len(p2) + len(p3)
    t2.nxt[True] = t2.rel(True, end)
    # the server answers (still acknowledging only up to the gap) ...
    t2.pkt(False, "PA", GAP_RESP, ack=t2.rel(True, len(p1)))
    t2.pkt(True, "A")
    # ... the client closes; the server never acknowledges past the gap
    t2.pkt(True, "FA")
    t2.pkt(False, "FA", ack=t2.rel(True, len(p1)))
    t2.pkt(True, "A")
    cap.set_meta("reasm-gap",
                 toserver_chunks=[OrderedDict([("rel_seq", 0), ("data", p1.decode())]),
                                  OrderedDict([("rel_seq", len(p1) + len(p2)),
                                               ("data", p3.decode())])],
                 toserver_gaps=[OrderedDict([("rel_seq", len(p1)), ("len", len(p2))])],
                 toserver_missing_text=p2.decode(),
                 reassembled_toclient=GAP_RESP.decode(),
                 note="client ISN 0xfffffff0 so sequence numbers wrap past 2^32 inside the "
                      "stream; the middle segment (toserver_missing_text) is never in the "
                      "capture: a gap of %d bytes" % len(p2))
    return cap


def case_tcp_states():
    cap = Capture("tcp-states.pcap", "One TCP session per Zeek conn_state: SF, S0, REJ, "
                  "RSTO, RSTR, S1, OTH (midstream), SYN+ACK first, and a 5-tuple reused "
                  "after a clean close.")
    c, s = "192.0.2.110", "198.51.100.110"
    # SF, with Ethernet frames padded to the 60-byte minimum like a real NIC
    tcp_session(cap, "SF", c, s, 51001, 80, HTTP_REQ, HTTP_RESP, pad_to=60)
    cap.set_meta("SF", conn_state="SF", note="frames shorter than 60 bytes carry Ethernet "
                 "padding after the IP packet; bytes count the padding (caplen)")
    # S0: SYN and two retransmissions, no answer
    t = Tcp(cap, "S0", c, s, 51002, 80)
    t.syn()
    cap.skip(1.0)
    t.syn(seq=t.isn[True])
    cap.skip(2.0)
    t.syn(seq=t.isn[True])
    cap.set_meta("S0", conn_state="S0")
    # REJ: SYN answered by RST+ACK
    t = Tcp(cap, "REJ", c, s, 51003, 81)
    t.syn()
    t.pkt(False, "RA", seq=0)
    cap.set_meta("REJ", conn_state="REJ")
    # RSTO: established, data, then the client aborts
    t = Tcp(cap, "RSTO", c, s, 51004, 80)
    t.handshake()
    t.data(True, HTTP_REQ)
    t.pkt(True, "R")
    cap.set_meta("RSTO", conn_state="RSTO")
    # RSTR: established, data, then the server aborts
    t = Tcp(cap, "RSTR", c, s, 51005, 80)
    t.handshake()
    t.data(True, HTTP_REQ)
    t.pkt(False, "RA")
    cap.set_meta("RSTR", conn_state="RSTR")
    # S1: established, data, never closed
    t = Tcp(cap, "S1", c, s, 51006, 80)
    t.handshake()
    t.data(True, HTTP_REQ)
    t.data(False, HTTP_RESP)
    cap.set_meta("S1", conn_state="S1", note="still open at the end of the capture")
    # OTH: midstream, no SYN, no FIN
    t = Tcp(cap, "OTH", c, s, 51007, 80, isn_c=0x31000000, isn_s=0x32000000)
    t.data(True, HTTP_REQ)
    t.data(False, HTTP_RESP)
    t.data(True, HTTP_REQ)
    cap.set_meta("OTH", conn_state="OTH", note="midstream: client = sender of the first "
                 "packet seen (convention)")
    # SYN+ACK first (the SYN was not captured)
    t = Tcp(cap, "SYNACK-first", c, s, 51008, 80)
    t.nxt[True] = t.isn[True] + 1          # the lost SYN consumed a sequence number
    t.pkt(False, "SA")
    t.pkt(True, "A")
    t.data(True, HTTP_REQ)
    t.data(False, HTTP_RESP)
    t.close(True)
    cap.set_meta("SYNACK-first", conn_state="SF",
                 note="conn_state as Zeek's rules give it once both sides closed")
    # the same 5-tuple used twice: the second SYN comes after a full FIN/FIN close
    tcp_session(cap, "reuse-1", c, s, 51009, 80, HTTP_REQ, HTTP_RESP, isn_c=0x41000000)
    cap.skip(1.0)
    tcp_session(cap, "reuse-2", c, s, 51009, 80, HTTP_REQ, HTTP_RESP, isn_c=0x42000000)
    cap.set_meta("reuse-1", conn_state="SF", note="same 5-tuple as reuse-2")
    cap.set_meta("reuse-2", conn_state="SF", note="same 5-tuple as reuse-1: a new SYN 1 s "
                 "after a complete FIN/FIN close starts a new flow (port reuse, as Suricata "
                 "and Zeek do; convention)")
    cap.file_notes.append("conn_state values are Zeek conn.log names for the whole session.")
    return cap


def case_malformed():
    cap = Capture("malformed.pcap", "One bad frame per decoder error category, two ARP "
                  "frames, then one valid UDP exchange that must still be decoded.")
    ehdr4 = bytes(Ether(src=MAC_A, dst=MAC_B, type=0x0800))
    ehdr6 = bytes(Ether(src=MAC_A, dst=MAC_B, type=0x86DD))
    c, s = "192.0.2.120", "198.51.100.120"
    c6, s6 = "2001:db8:120::1", "2001:db8:120::2"
    port = [41000]

    def ip4(**kw):
        port[0] += 1
        return IP(src=c, dst=s, ttl=64, id=port[0], **kw)

    def udp():
        return UDP(sport=port[0], dport=7)

    def bad(data, reason, what):
        cap.add(bytes(data), reason=reason, what=what)

    good = bytes(ip4() / udp() / Raw(b"abcdefgh"))
    bad(ehdr4 + good[:12], "ipv4_trunc", "IPv4 header cut after 12 bytes")
    bad(ehdr4 + bytes(ip4(ihl=3) / udp() / Raw(b"abcdefgh")), "ipv4_bad_hlen", "IHL = 3 (12 bytes)")
    bad(ehdr4 + bytes(ip4(len=16) / udp() / Raw(b"abcdefgh")), "ipv4_bad_len",
        "total length 16 < header length 20")
    bad(ehdr4 + bytes(ip4(len=200) / udp() / Raw(b"abcdefgh")), "ipv4_trunc",
        "total length 200 > 36 bytes present (caplen = wirelen: not a snaplen cut)")
    b = bytearray(ehdr4 + bytes(ip4() / udp() / Raw(b"abcdefgh")))
    b[14] = (5 << 4) | 5
    bad(b, "ipv4_bad_version", "version 5 under ethertype 0x0800")
    tcp = bytes(TCP(sport=41100, dport=80, flags="S", seq=1))
    bad(ehdr4 + bytes(ip4(proto=6) / Raw(tcp[:10])), "tcp_trunc", "10 bytes of TCP header")
    bad(ehdr4 + bytes(ip4() / TCP(sport=41101, dport=80, flags="PA", dataofs=3) / Raw(b"data")),
        "tcp_bad_hlen", "TCP data offset 3 (12 bytes < 20)")
    bad(ehdr4 + bytes(ip4() / TCP(sport=41102, dport=80, flags="PA", dataofs=15) / Raw(b"data")),
        "tcp_bad_hlen", "TCP data offset 15 (60 bytes) > 24-byte segment (convention: "
        "tcp_bad_hlen, not tcp_trunc)")
    bad(ehdr4 + bytes(ip4() / UDP(sport=41103, dport=7, len=100) / Raw(b"abcd")),
        "udp_bad_len", "UDP length 100 > 12 bytes of IP payload")
    bad(ehdr4 + bytes(ip4() / UDP(sport=41104, dport=7, len=4) / Raw(b"abcd")),
        "udp_bad_len", "UDP length 4 < 8")
    bad(ehdr4 + bytes(ip4(proto=17) / Raw(b"\x00\x07\x00")), "udp_trunc",
        "3 bytes of UDP header")
    bad(ehdr4 + bytes(ip4(proto=1) / Raw(b"\x08\x00\x00")), "icmp_trunc",
        "3 bytes of ICMP header")
    g6 = bytes(IPv6(src=c6, dst=s6, hlim=64) / UDP(sport=41105, dport=7) / Raw(b"abcd"))
    bad(ehdr6 + g6[:30], "ipv6_trunc", "IPv6 header cut after 30 bytes")
    bad(ehdr6 + bytes(IPv6(src=c6, dst=s6, hlim=64, plen=100) / UDP(sport=41106, dport=7)
                      / Raw(b"abcd")), "ipv6_trunc", "payload length 100 > 12 bytes present")
    bad(ehdr6 + bytes(IPv6(src=c6, dst=s6, hlim=64, nh=0) / Raw(bytes([17, 10]) + b"\x01\x04\x00\x00\x00\x00")),
        "ipv6_bad_exthdr", "hop-by-hop header claims 88 bytes, 8 present")
    bad(bytes(Ether(src=MAC_A, dst=MAC_B, type=0x8100)) + b"\x00\x64", "vlan_trunc",
        "802.1Q tag cut after 2 bytes")
    bad(bytes(Ether(src=MAC_A, dst=MAC_B, type=0x0800))[:13], "eth_trunc", "13-byte frame")
    bad(b"\x02", "eth_trunc", "1-byte frame")
    bad(b"", "eth_trunc", "zero-length frame (caplen 0, wirelen 0)")
    cap.add(Ether(src=MAC_A, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=MAC_A, psrc=c, pdst=s),
            reason="not_ip", what="ARP request")
    cap.add(Ether(src=MAC_B, dst=MAC_A) / ARP(op=2, hwsrc=MAC_B, psrc=s, hwdst=MAC_A, pdst=c),
            reason="not_ip", what="ARP reply")
    w = eth_wrap()
    cap.add(w(True, IP(src=c, dst=s, ttl=64, id=1) / UDP(sport=41999, dport=7) / Raw(b"still decoding")),
            flow="valid-udp")
    cap.add(w(False, IP(src=s, dst=c, ttl=64, id=2) / UDP(sport=7, dport=41999) / Raw(b"still decoding")),
            flow="valid-udp")
    cap.file_notes.append(
        "Each bad IPv4/IPv6 frame uses its own source port (41001...), so a decoder that "
        "wrongly accepts one shows up as an extra flow. not_ip frames are not errors for "
        "mdrprobe (MDR_DERR_NOT_IP is counted but is no malformation); every other "
        "no_flow_frames entry is a malformed frame with the reason category mdrprobe "
        "should count it under.")
    return cap


def case_udp_timeout():
    cap = Capture("udp-timeout.pcap", "Idle and active timeouts: one UDP 5-tuple with a "
                  "400 s silence (two flows under a 300 s UDP timeout), one with a 250 s "
                  "silence (one flow), and a TCP session lasting 2 hours with a data "
                  "packet every 60 s.")
    w = eth_wrap()
    c, s = "192.0.2.130", "198.51.100.130"
    T = lambda sec: T0_US + int(round(sec * 1_000_000))  # noqa: E731

    def udp(c2s, cport, sport, payload, at, flow):
        src, dst = (c, s) if c2s else (s, c)
        sp, dp = (cport, sport) if c2s else (sport, cport)
        cap.add(w(c2s, IP(src=src, dst=dst, ttl=64, id=0) / UDP(sport=sp, dport=dp) / Raw(payload)),
                at=at, flow=flow)

    for i, base in enumerate((0.0, 1.0)):
        udp(True, 52001, 34567, b"before the silence %d" % i, T(base), "udp-a-1")
        udp(False, 52001, 34567, b"reply before %d" % i, T(base + 0.5), "udp-a-1")
    for i, base in enumerate((401.5, 402.5)):     # 400 s after the last packet at 1.5 s
        udp(True, 52001, 34567, b"after the silence %d" % i, T(base), "udp-a-2")
        udp(False, 52001, 34567, b"reply after %d" % i, T(base + 0.5), "udp-a-2")
    cap.set_meta("udp-a-1", note="same 5-tuple as udp-a-2; ends on the 300 s UDP idle "
                 "timeout (400 s of silence follow)")
    cap.set_meta("udp-a-2", note="same 5-tuple as udp-a-1, starts 400 s after its last "
                 "packet: a new flow under a 300 s UDP timeout")
    udp(True, 52002, 34567, b"first", T(0.25), "udp-b")
    udp(False, 52002, 34567, b"first reply", T(0.75), "udp-b")
    udp(True, 52002, 34567, b"second", T(251.0), "udp-b")   # 250.25 s after the reply
    udp(False, 52002, 34567, b"second reply", T(251.5), "udp-b")
    cap.set_meta("udp-b", note="250 s silence < 300 s UDP timeout: one flow")

    lane = Lane()
    t = Tcp(lane, "tcp-2h", "192.0.2.131", "198.51.100.131", 52003, 23456)
    t.handshake()
    for i in range(120):
        t.data(True, b"keepalive %03d\n" % i)
    t.close(True)
    # timestamps: handshake at 0.1 s, then every 60 s a data packet and its ACK
    times = [T(0.1), T(0.101), T(0.102)]
    for i in range(120):
        times += [T(60.0 * (i + 1)), T(60.0 * (i + 1) + 0.001)]
    times += [T(7200.5), T(7200.501), T(7200.502)]
    assert len(times) == len(lane.items)
    for (pkt, kw), at in zip(lane.items, times):
        cap.add(pkt, at=at, **kw)
    cap.set_meta("tcp-2h", note="lasts 7200.4 s, one data packet every 60 s from the client "
                 "(each acked 1 ms later): interim records under an active timeout; never "
                 "idle for more than 60 s")
    cap.file_notes.append("Assumes UDP idle timeout 300 s and TCP established idle timeout "
                          "> 60 s. Frames are written in timestamp order, so flows interleave.")
    return cap


CASES = [case_ipv4_frag, case_ipv6_frag, case_vxlan, case_gre, case_erspan, case_qinq,
         case_mpls, case_ipip, case_sll, case_rawip, case_tcp_reasm, case_tcp_states,
         case_malformed, case_udp_timeout]


def main(argv):
    out_dir = HERE
    only = None
    i = 0
    while i < len(argv):
        if argv[i] == "--out":
            out_dir = argv[i + 1]
            i += 2
        elif argv[i] == "--only":
            only = set(argv[i + 1].split(","))
            i += 2
        else:
            sys.exit(__doc__)
    os.makedirs(out_dir, exist_ok=True)
    entries = OrderedDict()
    for case in CASES:
        cap = case()
        if only and cap.name not in only and cap.name[:-5] not in only:
            continue
        path = os.path.join(out_dir, cap.name)
        frames = cap.write(path)
        entries[cap.name] = cap.expected(path)
        print("craft.py: %-16s %4d frames %7d bytes %3d flows" % (
            cap.name, len(frames), os.path.getsize(path), len(entries[cap.name]["flows"])))
    update_expected(entries, os.path.join(out_dir, "expected.json"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
