/*
 * rule.h - the parsed form of a Suricata-language rule: what the rule
 * parser (rule_parse.c) produces and the engine (prefilter, match, detect)
 * consumes.
 *
 * The parser resolves everything that does not depend on traffic: variables
 * ($HOME_NET, $HTTP_PORTS) and address/port expressions become sorted,
 * non-overlapping interval sets (negation and nesting already applied);
 * classtype becomes a category and priority; legacy spellings (http_uri,
 * file_data, dns_query, uricontent, content modifiers after the content)
 * become the sticky-buffer form. A rule's match conditions are grouped per
 * buffer (struct mdr_rule_buf): the ordered list of content/pcre/byte
 * operations inspected against that one buffer, relative operations being
 * relative to the previous match in the same list, as in Suricata.
 *
 * All memory of a rule set belongs to a struct mdr_ruleset and is released
 * with it; the engine never frees a rule's parts.
 */
#ifndef MDR_RULE_H
#define MDR_RULE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum mdr_rule_action {
	MDR_ACT_ALERT = 0,
	MDR_ACT_PASS,
	MDR_ACT_DROP,                   /* a passive probe drops nothing: alerts, action "allowed" */
	MDR_ACT_REJECT,
};

/* The rule header's protocol. App protocols imply TCP/UDP and an app_proto. */
enum mdr_rule_proto {
	MDR_RP_IP = 0,                  /* any IP protocol */
	MDR_RP_TCP,
	MDR_RP_TCP_PKT,                 /* tcp-pkt: packets only */
	MDR_RP_TCP_STREAM,              /* tcp-stream: reassembled stream only */
	MDR_RP_UDP,
	MDR_RP_ICMP,                    /* ICMPv4 and ICMPv6 */
	MDR_RP_HTTP,
	MDR_RP_DNS,
	MDR_RP_TLS,
	MDR_RP_SSH,
	MDR_RP_FTP,
	MDR_RP_SMTP,
	MDR_RP_COUNT,
};

/*
 * Inspection buffers. PAYLOAD is the packet payload or, for TCP rules with
 * reassembly, the reassembled stream of the direction; the others are
 * application-layer buffers (struct mdr_app_bufs supplies them).
 */
enum mdr_buf {
	MDR_BUF_PAYLOAD = 0,
	MDR_BUF_HTTP_URI,               /* normalised (percent-decoded, ./ removed) */
	MDR_BUF_HTTP_URI_RAW,
	MDR_BUF_HTTP_METHOD,
	MDR_BUF_HTTP_PROTOCOL,          /* "HTTP/1.1" */
	MDR_BUF_HTTP_REQUEST_LINE,
	MDR_BUF_HTTP_RESPONSE_LINE,
	MDR_BUF_HTTP_HOST,              /* normalised: lower case, no port */
	MDR_BUF_HTTP_HOST_RAW,
	MDR_BUF_HTTP_USER_AGENT,
	MDR_BUF_HTTP_HEADER,            /* request or response headers, normalised "Name: value\r\n" */
	MDR_BUF_HTTP_HEADER_RAW,
	MDR_BUF_HTTP_HEADER_NAMES,      /* "\r\nName1\r\nName2\r\n\r\n" */
	MDR_BUF_HTTP_COOKIE,
	MDR_BUF_HTTP_REFERER,
	MDR_BUF_HTTP_CONTENT_TYPE,
	MDR_BUF_HTTP_CONTENT_LEN,
	MDR_BUF_HTTP_ACCEPT,
	MDR_BUF_HTTP_ACCEPT_ENC,
	MDR_BUF_HTTP_ACCEPT_LANG,
	MDR_BUF_HTTP_CONNECTION,
	MDR_BUF_HTTP_LOCATION,
	MDR_BUF_HTTP_SERVER,
	MDR_BUF_HTTP_START,             /* request/response line + headers, raw */
	MDR_BUF_HTTP_STAT_CODE,
	MDR_BUF_HTTP_STAT_MSG,
	MDR_BUF_HTTP_REQUEST_BODY,      /* de-chunked, decompressed */
	MDR_BUF_HTTP_RESPONSE_BODY,     /* http.response_body, file.data/file_data */
	MDR_BUF_DNS_QUERY,              /* each question name, dotted */
	MDR_BUF_TLS_SNI,
	MDR_BUF_TLS_CERT_SUBJECT,
	MDR_BUF_TLS_CERT_ISSUER,
	MDR_BUF_TLS_CERT_SERIAL,
	MDR_BUF_TLS_CERTS,              /* each certificate of the chain, DER */
	MDR_BUF_TLS_VERSION_STR,        /* unused placeholder for tls.version (a value keyword) */
	MDR_BUF_JA3_HASH,
	MDR_BUF_JA3_STRING,
	MDR_BUF_JA3S_HASH,
	MDR_BUF_JA3S_STRING,
	MDR_BUF_SSH_PROTO,
	MDR_BUF_SSH_SOFTWARE,
	MDR_BUF_BASE64_DATA,            /* after base64_decode in the same list */
	MDR_BUF_COUNT,
};

/* Operations of a buffer's list. */
enum mdr_sm_type {
	MDR_SM_CONTENT = 1,
	MDR_SM_PCRE,
	MDR_SM_BYTE_TEST,
	MDR_SM_BYTE_JUMP,
	MDR_SM_BYTE_EXTRACT,
	MDR_SM_ISDATAAT,
	MDR_SM_BSIZE,                   /* buffer size */
	MDR_SM_BASE64_DECODE,           /* decodes into MDR_BUF_BASE64_DATA */
};

/* Content flags (struct mdr_sm.flags). */
#define MDR_CF_NOCASE        0x0001
#define MDR_CF_NEGATED       0x0002
#define MDR_CF_OFFSET        0x0004  /* offset set */
#define MDR_CF_DEPTH         0x0008
#define MDR_CF_DISTANCE      0x0010  /* relative to the previous match */
#define MDR_CF_WITHIN        0x0020
#define MDR_CF_STARTSWITH    0x0040
#define MDR_CF_ENDSWITH      0x0080
#define MDR_CF_FAST_PATTERN  0x0100  /* fast_pattern given explicitly */
#define MDR_CF_FP_ONLY       0x0200  /* fast_pattern:only */
#define MDR_CF_FP_CHOP       0x0400  /* fast_pattern:off,len */
#define MDR_CF_RELATIVE      0x0800  /* pcre /R, byte_* relative, isdataat relative */
#define MDR_CF_RAWBYTES      0x1000
/* offset/depth/distance/within given as a byte_extract variable: field holds its index */
#define MDR_CF_VAR_OFFSET    0x2000
#define MDR_CF_VAR_DEPTH     0x4000
#define MDR_CF_VAR_DISTANCE  0x8000
#define MDR_CF_VAR_WITHIN    0x10000

/* byte_test / byte_jump / byte_extract flags (struct mdr_sm.u.byte.flags). */
#define MDR_BF_RELATIVE      0x0001
#define MDR_BF_LITTLE        0x0002  /* default big endian */
#define MDR_BF_STRING        0x0004  /* ASCII number */
#define MDR_BF_HEX           0x0008
#define MDR_BF_DEC           0x0010
#define MDR_BF_OCT           0x0020
#define MDR_BF_ALIGN         0x0040  /* byte_jump: align 32 bits */
#define MDR_BF_FROM_BEGIN    0x0080
#define MDR_BF_FROM_END      0x0100
#define MDR_BF_DCE           0x0200
#define MDR_BF_BITMASK       0x0400
#define MDR_BF_NEGATE        0x0800  /* byte_test '!' */
#define MDR_BF_VAR_VALUE     0x1000  /* byte_test value is a byte_extract variable index */
#define MDR_BF_VAR_OFFSET    0x2000

enum mdr_cmp_op {                   /* byte_test, bsize, dsize, urilen, stream_size... */
	MDR_CMP_EQ = 0,
	MDR_CMP_NE,
	MDR_CMP_LT,
	MDR_CMP_LE,
	MDR_CMP_GT,
	MDR_CMP_GE,
	MDR_CMP_RANGE,                  /* lo < x < hi (Suricata's "lo<>hi", exclusive) */
	MDR_CMP_AND,                    /* byte_test '&' */
	MDR_CMP_OR,                     /* byte_test '^' */
};

struct mdr_cmp {
	uint8_t op;                     /* enum mdr_cmp_op */
	uint64_t lo, hi;                /* value in lo; RANGE uses both */
};

struct mdr_sm {
	uint8_t type;                   /* enum mdr_sm_type */
	uint32_t flags;
	union {
		struct {
			const uint8_t *pat;     /* raw bytes (hex already decoded) */
			uint32_t len;
			int32_t offset, depth, distance, within;
			uint16_t fp_off, fp_len; /* fast_pattern:off,len */
		} content;
		struct {
			const char *re;         /* the expression between the slashes */
			uint32_t pcre2_opts;    /* PCRE2_CASELESS, PCRE2_DOTALL, ... */
			void *code;             /* engine-owned compiled form (pcre2_code *) */
		} pcre;
		struct {                        /* byte_test, byte_jump, byte_extract */
			uint8_t nbytes;
			uint8_t var;            /* byte_extract: variable index it sets */
			uint32_t flags;         /* MDR_BF_* */
			int32_t offset;
			struct mdr_cmp cmp;     /* byte_test */
			uint64_t mask;          /* bitmask */
			uint32_t multiplier;    /* byte_jump / byte_extract */
			int32_t post_offset;    /* byte_jump */
		} byte;
		struct {
			int32_t value;          /* isdataat: offset (var index with VAR flag) */
		} isdataat;
		struct mdr_cmp bsize;
		struct {
			int32_t bytes, offset;  /* base64_decode; 0 bytes = all */
		} b64;
	} u;
};

struct mdr_rule_buf {
	uint8_t buf;                    /* enum mdr_buf */
	uint16_t nsm;
	struct mdr_sm *sm;
};

/* Interval sets: sorted, non-overlapping, merged. "any" is the full range. */
struct mdr_ip4_range { uint32_t lo, hi; };          /* host order */
struct mdr_ip6_range { uint8_t lo[16], hi[16]; };   /* network order */
struct mdr_ipset {
	uint32_t n4, n6;
	struct mdr_ip4_range *v4;
	struct mdr_ip6_range *v6;
	bool any;
};
struct mdr_port_range { uint16_t lo, hi; };
struct mdr_portset {
	uint32_t n;
	struct mdr_port_range *r;
	bool any;
};

/* flow: keyword */
#define MDR_FLOW_TO_SERVER   0x01
#define MDR_FLOW_TO_CLIENT   0x02
#define MDR_FLOW_ESTABLISHED 0x04
#define MDR_FLOW_NOT_ESTABLISHED 0x08
#define MDR_FLOW_STATELESS   0x10
#define MDR_FLOW_ONLY_STREAM 0x20
#define MDR_FLOW_NO_STREAM   0x40
#define MDR_FLOW_ONLY_FRAG   0x80
#define MDR_FLOW_NO_FRAG     0x100

enum mdr_flowbit_op {
	MDR_FB_SET = 1,
	MDR_FB_ISSET,
	MDR_FB_ISNOTSET,
	MDR_FB_UNSET,
	MDR_FB_TOGGLE,
	MDR_FB_NOALERT,
};

struct mdr_flowbit {
	uint8_t op;                     /* enum mdr_flowbit_op */
	uint8_t any;                    /* isset a|b: any of the listed; a&b: all */
	uint16_t nbits;
	uint16_t bits[8];               /* ids in the rule set's flowbit name table */
};

enum mdr_thr_type { MDR_THR_NONE = 0, MDR_THR_LIMIT, MDR_THR_THRESHOLD, MDR_THR_BOTH,
		    MDR_THR_DETECTION_FILTER };
enum mdr_thr_track { MDR_TRACK_SRC = 0, MDR_TRACK_DST, MDR_TRACK_RULE, MDR_TRACK_BOTH };

struct mdr_threshold {
	uint8_t type;                   /* enum mdr_thr_type */
	uint8_t track;                  /* enum mdr_thr_track */
	uint32_t count;
	uint32_t seconds;
};

struct mdr_rule {
	uint32_t id;                    /* index in the rule set */
	uint32_t gid, sid, rev;
	uint8_t action;                 /* enum mdr_rule_action */
	uint8_t proto;                  /* enum mdr_rule_proto */
	bool bidir;                     /* <> */
	struct mdr_ipset src, dst;
	struct mdr_portset sport, dport;
	const char *msg;
	const char *classtype;          /* "" when none */
	const char *category;           /* classification.config description */
	uint8_t priority;               /* classtype's unless priority: given; 3 default */
	const char *metadata;           /* raw "key value, key value" */
	const char *file;               /* where it came from */
	uint32_t line;
	const char *text;               /* the rule as written (for reports) */

	uint32_t flow;                  /* MDR_FLOW_* */
	struct mdr_cmp dsize;           /* valid when has_dsize */
	struct mdr_cmp urilen;          /* on MDR_BUF_HTTP_URI length */
	struct mdr_cmp stream_size;
	bool has_dsize, has_urilen, has_stream_size;
	uint8_t urilen_raw;
	int16_t itype, icode;           /* -1 any; else exact (ranges via cmp) */
	struct mdr_cmp itype_cmp, icode_cmp;
	bool has_itype, has_icode;
	uint8_t tcp_flags, tcp_flags_mask; /* flags: keyword; 0 mask = none */
	uint8_t tcp_flags_mod;          /* 0 exact, '+' all of, '*' any of, '!' not */
	int16_t ip_proto;               /* ip_proto: keyword, -1 none */
	bool noalert;                   /* flowbits:noalert */
	bool target_dst;                /* target:dest_ip (else src) */
	bool has_target;

	uint16_t nbufs;
	struct mdr_rule_buf *bufs;      /* one per inspected buffer, in rule order */
	uint16_t nflowbits;
	struct mdr_flowbit *flowbits;   /* in rule order: checks then sets */
	struct mdr_threshold threshold; /* threshold:/detection_filter: or threshold.config */
	uint8_t nvars;                  /* byte_extract variables used */
};

/* Reasons a rule is skipped (counted, reported once with file:line). */
enum mdr_rule_skip {
	MDR_SKIP_SYNTAX = 0,            /* not a rule: bad header, unbalanced quotes... */
	MDR_SKIP_UNKNOWN_KEYWORD,
	MDR_SKIP_UNSUPPORTED_KEYWORD,   /* known but not implemented */
	MDR_SKIP_UNSUPPORTED_PROTO,
	MDR_SKIP_BAD_VALUE,             /* a keyword's value does not parse */
	MDR_SKIP_UNKNOWN_VAR,
	MDR_SKIP_DUPLICATE_SID,
	MDR_SKIP_PCRE,                  /* expression does not compile */
	MDR_SKIP_COUNT,
};

struct mdr_rule_vars {
	/* name without '$' -> expression, e.g. "HOME_NET" -> "[10.0.0.0/8,...]" */
	uint32_t n;
	const char **name;
	const char **value;
};

struct mdr_ruleset_stats {
	uint32_t total;                 /* rule lines seen (not comments) */
	uint32_t loaded;
	uint32_t skipped;
	uint32_t by_reason[MDR_SKIP_COUNT];
	uint32_t files, files_missing;
};

struct mdr_ruleset {
	uint32_t nrules;
	struct mdr_rule **rules;
	uint32_t nflowbits;
	char **flowbit_names;
	struct mdr_ruleset_stats stats;
	void *arena;                    /* parser-owned memory */
};

const char *mdr_rule_skip_name(enum mdr_rule_skip r);

/* What the loader needs besides the rule text. */
struct mdr_rules_source {
	const char *const *files;       /* rule files, in order (paths as given) */
	uint32_t nfiles;
	const char *rule_dir;           /* default-rule-path for relative names, or NULL */
	const char *classification;     /* classification.config path, or NULL */
	const char *threshold;          /* threshold.config path, or NULL */
	struct mdr_rule_vars vars;      /* address and port groups (defaults applied by caller) */
};

/*
 * Parse every rule of src. Each skipped rule is reported once on report as
 * "FILE:LINE: skipped (REASON): KEYWORD: detail" and counted; the rest load.
 * Returns NULL only on a fatal error (out of memory; a variable that is
 * itself malformed), with errbuf set.
 */
struct mdr_ruleset *mdr_rules_load(const struct mdr_rules_source *src, FILE *report,
				   char *errbuf, size_t errlen);
/* Parse one rule line into rs (tests, fuzzing). 0, or -EINVAL with *why and detail set. */
int mdr_rules_add(struct mdr_ruleset *rs, const struct mdr_rules_source *src,
		  const char *text, const char *file, uint32_t line,
		  enum mdr_rule_skip *why, char *detail, size_t dlen);
struct mdr_ruleset *mdr_ruleset_create(void);
void mdr_ruleset_free(struct mdr_ruleset *rs);

#endif
