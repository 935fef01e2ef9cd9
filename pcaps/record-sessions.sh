#!/usr/bin/env bash
# record-sessions.sh - record pcaps/sessions.pcap: real Debian servers and
# clients talking across a veth pair between two private network namespaces.
#
# Usage (as root):   sudo pcaps/record-sessions.sh [output.pcap]
#
# Debian packages it uses (installed with apt-get only when missing):
#   nginx-light (or nginx), vsftpd, openssh-server, openssh-client, dnsmasq,
#   dnsutils, curl, tcpdump, iproute2, ethtool, tshark, python3
#
# What it does:
#   - creates namespaces mdrp-cli (10.99.0.1, fd99::1) and mdrp-srv
#     (10.99.0.2, fd99::2) joined by the veth pair mdrp-c <-> mdrp-s, with
#     fixed MACs, static neighbour entries (no ARP/ND in the capture), no
#     link-local addresses, no DAD and no offloads (so every captured frame is
#     a real wire-size frame with correct checksums);
#   - starts nginx (HTTP :80, keep-alive), vsftpd (anonymous, PASV port
#     30000), sshd (:22, throwaway host key in a temp dir) and dnsmasq
#     (local zone test.mdr) in mdrp-srv;
#   - runs curl (HTTP and FTP), ssh and dig from mdrp-cli while tcpdump
#     (-s 0) records on mdrp-c;
#   - writes the capture and then calls expect_from_tshark.py to refresh the
#     "sessions.pcap" entry of expected.json;
#   - tears everything down (servers, tcpdump, namespaces) even on error.
#
# Traffic only ever goes between 10.99.0.1/2 and fd99::1/2 inside the two
# namespaces the script creates. Every step is bounded by a timeout, and a
# watchdog ends the whole run after $MDRP_WATCHDOG seconds (default 300).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:-$HERE/sessions.pcap}"
WATCHDOG_S="${MDRP_WATCHDOG:-300}"

NS_C=mdrp-cli
NS_S=mdrp-srv
IF_C=mdrp-c
IF_S=mdrp-s
MAC_C=02:00:0a:63:00:01
MAC_S=02:00:0a:63:00:02
IP4_C=10.99.0.1
IP4_S=10.99.0.2
IP6_C=fd99::1
IP6_S=fd99::2

log() { printf '[record-sessions] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, tcpdump, servers)"

# ---------------------------------------------------------------- packages
need_install=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "$1" ]; }
have nginx            || need_install+=(nginx-light)
have /usr/sbin/vsftpd || need_install+=(vsftpd)
have /usr/sbin/sshd   || need_install+=(openssh-server)
have ssh              || need_install+=(openssh-client)
have ssh-keygen       || need_install+=(openssh-client)
have dnsmasq          || need_install+=(dnsmasq)
have dig              || need_install+=(dnsutils)
have curl             || need_install+=(curl)
have tcpdump          || need_install+=(tcpdump)
have ip               || need_install+=(iproute2)
have ethtool          || need_install+=(ethtool)
have tshark           || need_install+=(tshark)
have /usr/bin/python3 || need_install+=(python3)
if [ "${#need_install[@]}" -gt 0 ]; then
	log "installing: ${need_install[*]}"
	# Keep the freshly installed daemons from starting in the root namespace.
	made_policy=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		made_policy=1
	fi
	rc=0
	timeout 300 apt-get update -q >/dev/null || true
	echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections 2>/dev/null || true
	DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -q --no-install-recommends \
		"${need_install[@]}" >&2 || rc=$?
	if [ "$rc" -ne 0 ] && [[ " ${need_install[*]} " == *" nginx-light "* ]]; then
		# nginx-light is only a transitional name on some releases.
		need_install=("${need_install[@]/nginx-light/nginx}")
		rc=0
		DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -q --no-install-recommends \
			"${need_install[@]}" >&2 || rc=$?
	fi
	[ "$made_policy" -eq 1 ] && rm -f /usr/sbin/policy-rc.d
	[ "$rc" -eq 0 ] || die "apt-get install failed"
fi

# ---------------------------------------------------------------- teardown
W=""
PIDS=()
TCPDUMP_PID=""
WATCHDOG_PID=""

cleanup() {
	local rc=$?
	set +e
	trap - EXIT INT TERM
	if [ -n "$TCPDUMP_PID" ] && kill -0 "$TCPDUMP_PID" 2>/dev/null; then
		kill -INT "$TCPDUMP_PID" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$TCPDUMP_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$TCPDUMP_PID" 2>/dev/null
	fi
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	# Anything still running inside our own namespaces was started by us
	# (daemon children); end it by pid before deleting the namespaces.
	for ns in "$NS_C" "$NS_S"; do
		if ip netns list 2>/dev/null | grep -qw "$ns"; then
			for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
			ip netns del "$ns" 2>/dev/null
		fi
	done
	if [ -n "$WATCHDOG_PID" ]; then kill "$WATCHDOG_PID" 2>/dev/null; wait "$WATCHDOG_PID" 2>/dev/null; fi
	if [ -n "$W" ] && [ -d "$W" ]; then
		if [ "$rc" -ne 0 ]; then
			log "logs kept for inspection in $W"
		else
			rm -rf "$W"
		fi
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# Watchdog: its own sleep is ended with it, so nothing outlives the script.
(
	exec </dev/null >/dev/null
	sleep "$WATCHDOG_S" & spid=$!
	trap 'kill "$spid" 2>/dev/null; exit 0' TERM
	wait "$spid" && { log "watchdog: ${WATCHDOG_S}s elapsed, aborting"; kill -TERM $$; }
) &
WATCHDOG_PID=$!

W="$(mktemp -d /tmp/mdrp-sessions.XXXXXX)"
chmod 755 "$W"
log "work dir $W"

in_c() { ip netns exec "$NS_C" "$@"; }
in_s() { ip netns exec "$NS_S" "$@"; }

# ---------------------------------------------------------------- network
# Stale namespaces from an earlier, killed run of this script.
for ns in "$NS_C" "$NS_S"; do
	if ip netns list | grep -qw "$ns"; then
		for p in $(ip netns pids "$ns"); do kill -KILL "$p" 2>/dev/null || true; done
		ip netns del "$ns"
	fi
done

ip netns add "$NS_C"
ip netns add "$NS_S"
ip link add name "$IF_C" netns "$NS_C" address "$MAC_C" type veth \
	peer name "$IF_S" netns "$NS_S" address "$MAC_S"

setup_if() { # ns ifname ip4 ip6 peer_mac peer_ip4 peer_ip6
	local ns=$1 ifn=$2 a4=$3 a6=$4 pmac=$5 p4=$6 p6=$7
	ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
		net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0 \
		net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 >/dev/null
	ip netns exec "$ns" sysctl -q -w "net.ipv6.conf.$ifn.accept_ra=0" \
		"net.ipv6.conf.$ifn.router_solicitations=0" "net.ipv6.conf.$ifn.accept_dad=0" >/dev/null
	ip -n "$ns" link set dev lo up
	ip -n "$ns" link set dev "$ifn" addrgenmode none mtu 1500
	ip -n "$ns" addr add "$a4/24" dev "$ifn"
	ip -n "$ns" addr add "$a6/64" dev "$ifn" nodad
	# No segmentation/checksum offloads: frames on the capture are what a
	# wire would carry (<= MTU, valid checksums).
	ip netns exec "$ns" ethtool -K "$ifn" tx off tso off gso off gro off >/dev/null 2>&1 || true
	ip -n "$ns" link set dev "$ifn" up
	ip -n "$ns" neigh replace "$p4" lladdr "$pmac" dev "$ifn" nud permanent
	ip -n "$ns" -6 neigh replace "$p6" lladdr "$pmac" dev "$ifn" nud permanent
}
setup_if "$NS_C" "$IF_C" "$IP4_C" "$IP6_C" "$MAC_S" "$IP4_S" "$IP6_S"
setup_if "$NS_S" "$IF_S" "$IP4_S" "$IP6_S" "$MAC_C" "$IP4_C" "$IP6_C"

# ---------------------------------------------------------------- content
# Fixed content and fixed mtimes so headers and listings are stable.
FIXED_TIME='2023-11-14 22:13:20 UTC'   # 1700000000
mkdir -p "$W/www" "$W/ftp/pub" "$W/vsftpd-empty" "$W/ssh"
cat > "$W/www/index.html" <<'EOF'
<!DOCTYPE html>
<html><head><title>mdrprobe test page</title></head>
<body><h1>mdrprobe</h1><p>Static test page served by nginx inside the mdrp-srv namespace.</p></body></html>
EOF
for i in $(seq -w 1 400); do printf 'mdrprobe http test data line %s\n' "$i"; done > "$W/www/data.txt"
printf 'hello from the mdrprobe ftp server\n' > "$W/ftp/hello.txt"
for i in $(seq -w 1 200); do printf 'mdrprobe ftp test data line %s\n' "$i"; done > "$W/ftp/pub/data.txt"
touch -d "$FIXED_TIME" "$W/www/index.html" "$W/www/data.txt" "$W/ftp/hello.txt" \
	"$W/ftp/pub/data.txt" "$W/ftp/pub" "$W/ftp"
chmod -R a+rX "$W/www" "$W/ftp"

# ---------------------------------------------------------------- servers
start_srv() { # name cmd...
	local name=$1; shift
	ip netns exec "$NS_S" "$@" >"$W/$name.out" 2>&1 &
	PIDS+=($!)
	log "started $name (pid $!)"
}

wait_listen() { # proto(t|u) port what
	local proto=$1 port=$2 what=$3
	for _ in $(seq 100); do
		if in_s ss -Hln"$proto" "sport = :$port" | grep -q .; then return 0; fi
		sleep 0.1
	done
	log "--- $what output:"; cat "$W/$what.out" >&2 || true
	die "$what is not listening on $proto/$port"
}

# nginx
cat > "$W/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $W/nginx.pid;
error_log $W/nginx-error.log info;
events { worker_connections 64; }
http {
    access_log $W/nginx-access.log;
    server_tokens off;
    keepalive_timeout 30s;
    keepalive_requests 100;
    sendfile off;
    types { text/html html; text/plain txt; }
    default_type application/octet-stream;
    server {
        listen $IP4_S:80;
        listen [$IP6_S]:80;
        server_name www.test.mdr;
        root $W/www;
    }
}
EOF
start_srv nginx timeout 240 nginx -e "$W/nginx-error.log" -c "$W/nginx.conf" -p "$W/"

# vsftpd (anonymous, read-only, one fixed passive port)
cat > "$W/vsftpd.conf" <<EOF
listen=YES
listen_ipv6=NO
listen_address=$IP4_S
listen_port=21
background=NO
anonymous_enable=YES
no_anon_password=YES
anon_root=$W/ftp
local_enable=NO
write_enable=NO
pasv_enable=YES
pasv_min_port=30000
pasv_max_port=30000
pasv_address=$IP4_S
port_enable=NO
connect_from_port_20=NO
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
secure_chroot_dir=$W/vsftpd-empty
ftp_username=ftp
nopriv_user=nobody
hide_ids=YES
use_localtime=NO
dirmessage_enable=NO
ftpd_banner=mdrprobe test FTP server
xferlog_enable=NO
syslog_enable=NO
vsftpd_log_file=$W/vsftpd.log
tcp_wrappers=NO
EOF
id ftp >/dev/null 2>&1 || sed -i 's/^ftp_username=ftp$/ftp_username=nobody/' "$W/vsftpd.conf"
start_srv vsftpd timeout 240 /usr/sbin/vsftpd "$W/vsftpd.conf"

# sshd (throwaway host key and client key)
ssh-keygen -q -t ed25519 -N '' -C mdrp-host -f "$W/ssh/host_ed25519" >/dev/null
ssh-keygen -q -t ed25519 -N '' -C mdrp-client -f "$W/ssh/client_ed25519" >/dev/null
cp "$W/ssh/client_ed25519.pub" "$W/ssh/authorized_keys"
chmod 600 "$W/ssh/host_ed25519" "$W/ssh/client_ed25519"
mkdir -p /run/sshd && chmod 755 /run/sshd
cat > "$W/sshd_config" <<EOF
Port 22
ListenAddress $IP4_S
ListenAddress $IP6_S
HostKey $W/ssh/host_ed25519
PidFile $W/sshd.pid
AuthorizedKeysFile $W/ssh/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
PrintLastLog no
UseDNS no
X11Forwarding no
AllowTcpForwarding no
LogLevel VERBOSE
EOF
/usr/sbin/sshd -t -f "$W/sshd_config" || die "sshd config rejected"
start_srv sshd timeout 240 /usr/sbin/sshd -D -e -f "$W/sshd_config"

# dnsmasq: authoritative-looking answers for the local zone test.mdr, no upstream
start_srv dnsmasq timeout 240 dnsmasq --keep-in-foreground --conf-file=/dev/null \
	--no-resolv --no-hosts --no-poll --bind-interfaces \
	--listen-address="$IP4_S" --listen-address="$IP6_S" --port=53 \
	--pid-file="$W/dnsmasq.pid" --log-facility="$W/dnsmasq.log" --log-queries \
	--local=/test.mdr/ \
	--host-record=www.test.mdr,10.99.0.2,fd99::2 \
	--host-record=ftp.test.mdr,10.99.0.2 \
	--host-record=v6only.test.mdr,fd99::2 \
	--txt-record=test.mdr,"mdrprobe test zone" \
	--txt-record=info.test.mdr,"v=mdr1","second string"

wait_listen t 80 nginx
wait_listen t 21 vsftpd
wait_listen t 22 sshd
wait_listen u 53 dnsmasq
wait_listen t 53 dnsmasq

# ---------------------------------------------------------------- capture
tcpdump_filter="host $IP4_C or host $IP4_S or host $IP6_C or host $IP6_S"
ip netns exec "$NS_C" timeout -s INT 200 tcpdump -i "$IF_C" -s 0 -U -n -Z root \
	-w "$W/sessions.pcap" "$tcpdump_filter" >"$W/tcpdump.out" 2>&1 &
TCPDUMP_PID=$!
for _ in $(seq 100); do grep -q 'listening on' "$W/tcpdump.out" 2>/dev/null && break; sleep 0.1; done
grep -q 'listening on' "$W/tcpdump.out" || { cat "$W/tcpdump.out" >&2; die "tcpdump did not start"; }
sleep 0.5

FAILED=()
step() { # name cmd...   (each client bounded by `timeout`)
	local name=$1; shift
	log "client: $name"
	if ! "$@" >"$W/client-$name.out" 2>&1; then
		log "--- $name failed; output:"; cat "$W/client-$name.out" >&2
		FAILED+=("$name")
	fi
	sleep 0.3
}
expect_out() { # name regex
	if ! grep -Eq "$2" "$W/client-$1.out"; then
		log "--- $1: output does not match /$2/:"; cat "$W/client-$1.out" >&2
		FAILED+=("$1-check")
	fi
}

CURL=(timeout 20 curl -sS --http1.1 --max-time 15 -A mdrprobe-test/1.0)

# HTTP: three requests on one keep-alive connection (200, 200, 404) ...
step http-keepalive in_c "${CURL[@]}" --local-port 40080-40089 \
	-w '%{http_code} %{size_download} %{num_connects}\n' \
	-o /dev/null http://$IP4_S/index.html \
	-o /dev/null http://$IP4_S/data.txt \
	-o /dev/null http://$IP4_S/missing.html
expect_out http-keepalive '^200 [0-9]+ 1$'
expect_out http-keepalive '^404 [0-9]+ 0$'
# ... a second IPv4 connection, and one over IPv6.
step http-second in_c "${CURL[@]}" --local-port 40090-40099 \
	-w '%{http_code} %{size_download} %{num_connects}\n' -o /dev/null http://$IP4_S/data.txt
expect_out http-second '^200 [0-9]+ 1$'
step http-ipv6 in_c "${CURL[@]}" -g --local-port 40100-40109 \
	-w '%{http_code} %{size_download} %{num_connects}\n' -o /dev/null "http://[$IP6_S]/index.html"
expect_out http-ipv6 '^200 [0-9]+ 1$'

# FTP: one control connection, PASV, LIST of / then RETR of a file.
# (No --local-port here: curl would bind the same local port for both data
# connections and reuse one 5-tuple; that case lives in tcp-states.pcap.)
step ftp in_c timeout 30 curl -sS --max-time 25 --disable-epsv --ftp-pasv \
	ftp://$IP4_S/ ftp://$IP4_S/pub/data.txt -o "$W/ftp-list.txt" -o "$W/ftp-data.txt"
[ -s "$W/ftp-list.txt" ] && grep -q hello.txt "$W/ftp-list.txt" || FAILED+=("ftp-list-check")
cmp -s "$W/ftp-data.txt" "$W/ftp/pub/data.txt" || FAILED+=("ftp-retr-check")

# SSH: key exchange, public-key auth as root with the throwaway key, one command.
step ssh in_c timeout 30 ssh -F /dev/null -i "$W/ssh/client_ed25519" -o IdentitiesOnly=yes \
	-o UserKnownHostsFile="$W/ssh/known_hosts" -o StrictHostKeyChecking=accept-new \
	-o BatchMode=yes -o ConnectTimeout=10 -o ServerAliveInterval=0 \
	-o HostKeyAlgorithms=ssh-ed25519 \
	root@$IP4_S 'echo mdrprobe-ssh-ok'
expect_out ssh '^mdrprobe-ssh-ok$'

# DNS: UDP over IPv4 (A, AAAA, TXT, NXDOMAIN), UDP over IPv6, one over TCP.
DIG=(timeout 10 dig +tries=1 +time=3 +nocookie)
step dns-a      in_c "${DIG[@]}" -b "$IP4_C#53001" @$IP4_S www.test.mdr A
expect_out dns-a 'status: NOERROR'
step dns-aaaa   in_c "${DIG[@]}" -b "$IP4_C#53002" @$IP4_S www.test.mdr AAAA
expect_out dns-aaaa 'fd99::2'
step dns-txt    in_c "${DIG[@]}" -b "$IP4_C#53003" @$IP4_S test.mdr TXT
expect_out dns-txt 'mdrprobe test zone'
step dns-nx     in_c "${DIG[@]}" -b "$IP4_C#53004" @$IP4_S nosuch.test.mdr A
expect_out dns-nx 'status: NXDOMAIN'
step dns-v6     in_c "${DIG[@]}" -b "$IP6_C#53005" @$IP6_S www.test.mdr AAAA
expect_out dns-v6 'fd99::2'
step dns-tcp    in_c "${DIG[@]}" +tcp -b "$IP4_C#53006" @$IP4_S info.test.mdr TXT
expect_out dns-tcp 'v=mdr1'

# Let the last FIN/ACKs cross, then stop the capture.
sleep 1
kill -INT "$TCPDUMP_PID" 2>/dev/null || true
for _ in $(seq 50); do kill -0 "$TCPDUMP_PID" 2>/dev/null || break; sleep 0.1; done
wait "$TCPDUMP_PID" 2>/dev/null || true
TCPDUMP_PID=""
log "$(grep -E 'captured|dropped' "$W/tcpdump.out" | tr '\n' ' ')"

if [ "${#FAILED[@]}" -gt 0 ]; then
	die "failed steps: ${FAILED[*]} (capture left in $W/sessions.pcap)"
fi
grep -q '^0 packets dropped by kernel' "$W/tcpdump.out" || die "tcpdump dropped packets"

cp "$W/sessions.pcap" "$OUT"
chmod 644 "$OUT"
log "wrote $OUT ($(stat -c %s "$OUT") bytes)"

if [ "$OUT" = "$HERE/sessions.pcap" ]; then
	timeout 120 /usr/bin/python3 "$HERE/expect_from_tshark.py" "$OUT" \
		|| die "expect_from_tshark.py failed"
fi
log "done"
