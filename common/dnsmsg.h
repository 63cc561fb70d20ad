/*
 * DNS messages (RFC 1035 wire format, EDNS RFC 6891) decoded completely, with text the way dig prints it. Pure:
 * no libbpf, no kernel, no allocation per message once the buffers have grown.
 *
 * One struct gb_dns_msg serves many messages: gb_dns_parse() forgets the previous message and decodes the next
 * one into the same storage; gb_dns_msg_free() releases it. The parser copies the message, so every pointer in
 * the struct (names, texts, rdata, option data) stays valid until the next gb_dns_parse() or gb_dns_msg_free(),
 * whatever happens to the caller's buffer. A zeroed struct is ready for use.
 *
 * Names have two renderings:
 *  - exact: the labels joined by '.', bytes as they are (a label may hold '.', NUL or any byte, hence the
 *    length), no trailing '.'; the root is ".". For JSON (which escapes it) and for comparisons.
 *  - dig: as dig prints names: each label followed by '.', the root "."; inside a label '.', '"', '(', ')', ';'
 *    and '\' get a backslash, bytes below 0x21 or above 0x7e are \DDD (decimal), the rest is as it is.
 * Character strings (TXT, CAA values, ...) are quoted, with '"' and '\' backslashed and bytes below 0x20 or
 * above 0x7e as \DDD, as dig does.
 *
 * Malformed input: parsing stops at the first problem that leaves no way to find the next field (a bad name in
 * a question or an owner name, a record or rdata past the end); what was decoded before it stays, `complete` is
 * false and `malformed` says why. Problems that leave the framing intact (rdata that does not fit its type, a
 * bad EDNS option, a second OPT record, bytes after the last record) are reported in `malformed` too but parsing
 * goes on and `complete` stays true. `malformed` is a static string; the first problem found wins.
 */
#ifndef GADGETBOX_DNSMSG_H
#define GADGETBOX_DNSMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GB_DNS_HEADER_LEN 12
#define GB_DNS_MAX_MSG	  65535
/* a name's wire form, the root's 0 included */
#define GB_DNS_MAX_NAME 255
/* compression pointers followed for one name */
#define GB_DNS_MAX_JUMPS 128
/* the buffer the *_name() functions write an unknown value into ("CLASS65535") */
#define GB_DNS_NAME_BUF 16

enum {
	GB_DNS_T_A = 1,
	GB_DNS_T_NS = 2,
	GB_DNS_T_CNAME = 5,
	GB_DNS_T_SOA = 6,
	GB_DNS_T_PTR = 12,
	GB_DNS_T_HINFO = 13,
	GB_DNS_T_MX = 15,
	GB_DNS_T_TXT = 16,
	GB_DNS_T_AAAA = 28,
	GB_DNS_T_SRV = 33,
	GB_DNS_T_DNAME = 39,
	GB_DNS_T_OPT = 41,
	GB_DNS_T_SVCB = 64,
	GB_DNS_T_HTTPS = 65,
	GB_DNS_T_SPF = 99,
	GB_DNS_T_ANY = 255,
	GB_DNS_T_CAA = 257,
};

enum {
	GB_DNS_OPT_NSID = 3,
	GB_DNS_OPT_ECS = 8,
	GB_DNS_OPT_EXPIRE = 9,
	GB_DNS_OPT_COOKIE = 10,
	GB_DNS_OPT_TCP_KEEPALIVE = 11,
	GB_DNS_OPT_PADDING = 12,
	GB_DNS_OPT_EDE = 15,
};

enum gb_dns_section {
	GB_DNS_ANSWER,
	GB_DNS_AUTHORITY,
	GB_DNS_ADDITIONAL,
};

/* A domain name; all three forms are NUL-terminated (the NUL is not counted). */
struct gb_dns_name {
	const char *text; /* exact: "www.example.com", "." for the root */
	size_t text_len;  /* may contain NULs: use the length */
	const char *dig;  /* dig: "www.example.com." */
	size_t dig_len;
	const uint8_t *wire; /* uncompressed wire form: each label's length and raw bytes, then 0 */
	uint16_t wire_len;   /* 1 (the root) to 255; 0 when there is no name */
	uint8_t labels;	     /* not counting the root */
};

struct gb_dns_question {
	struct gb_dns_name name;
	uint16_t type, class;
};

struct gb_dns_rr {
	struct gb_dns_name name;
	uint16_t type, class;
	uint32_t ttl;
	uint16_t rdlength;
	enum gb_dns_section section;
	const uint8_t *rdata; /* rdlength bytes, inside the message copy */
	/*
	 * The rdata as dig prints it, NUL-terminated: field by field for A AAAA NS CNAME PTR DNAME MX SRV SOA TXT
	 * SPF HINFO CAA URI NAPTR RP AFSDB KX SVCB HTTPS ("10 mail.example.com."); for OPT dig's pseudosection on
	 * one line ("version: 0, flags: do; udp: 1232; COOKIE: …", the values in m->edns); RFC 3597's
	 * "\# LEN HEX" for any other type.
	 */
	const char *text;
	size_t text_len;
	/* A and AAAA: the address (4 or 16 bytes, network order); NULL otherwise */
	const uint8_t *addr;
	uint8_t addr_len;
	/* the first name in the rdata: the NS, CNAME, PTR, DNAME, SRV, SVCB and HTTPS target, the MX exchange, the
	 * SOA mname, ... (wire_len 0 for types without one) */
	struct gb_dns_name target;
	/* why the rdata does not decode as its type (then `text` is RFC 3597 "\# LEN HEX"); NULL when it does */
	const char *bad_rdata;
};

struct gb_dns_opt {
	uint16_t code, len;
	const uint8_t *data;
	const char *text; /* the value as dig's OPT pseudosection shows it ("1.2.3.0/24/0" for ECS) */
};

/* The OPT pseudo-record (RFC 6891) of the additional section. */
struct gb_dns_edns {
	bool present;
	uint16_t udp_size; /* the OPT record's class */
	uint8_t ext_rcode; /* the upper 8 bits of the 12-bit rcode */
	uint8_t version;
	bool do_bit;
	uint16_t flags; /* all 16 flag bits, DO is 0x8000 */
	struct gb_dns_opt *opts;
	size_t nopts;
	/* decoded options (the first of each code) */
	bool has_ecs; /* client subnet, RFC 7871 */
	struct {
		uint16_t family; /* 1 IPv4, 2 IPv6 */
		uint8_t source_prefix, scope_prefix;
		uint8_t addr[16]; /* the address bytes sent, zero-padded */
		uint8_t addr_len; /* 4 or 16 */
	} ecs;
	bool has_cookie; /* RFC 7873 */
	uint8_t client_cookie[8];
	const uint8_t *server_cookie; /* 8 to 32 bytes in the message copy, or NULL */
	uint8_t server_cookie_len;
	bool has_ede; /* extended DNS error, RFC 8914 */
	uint16_t ede_code;
	const char *ede_text; /* EXTRA-TEXT as sent (UTF-8, not NUL-terminated, in the message copy), or NULL */
	size_t ede_text_len;
};

struct gb_dns_mem; /* internal */

struct gb_dns_msg {
	/* header */
	uint16_t id;
	bool qr, aa, tc, rd, ra, z, ad, cd;
	uint8_t opcode;
	uint8_t hdr_rcode;			     /* the header's 4 bits */
	uint16_t rcode;				     /* 12 bits: hdr_rcode with the OPT record's extended bits */
	uint16_t qdcount, ancount, nscount, arcount; /* as the header says */
	/* what was decoded, in message order */
	struct gb_dns_question *qd;
	struct gb_dns_rr *an, *ns, *ar;
	size_t nqd, nan, nns, nar;
	struct gb_dns_edns edns;
	bool complete;	       /* every entry the header counts was decoded */
	const char *malformed; /* the first problem, or NULL */
	size_t malformed_at;   /* the offset of the name, record, rdata or option where it was found */
	const uint8_t *wire;   /* the message copy */
	size_t wire_len;
	struct gb_dns_mem *mem; /* internal: the storage reused from message to message */
};

/*
 * Decodes one message into @m (see the top of this file). Returns 0 when it decoded without any problem,
 * -EBADMSG when `malformed` is set (fatal or not: see `complete`), -EMSGSIZE for more than 65535 bytes, -ENOMEM
 * when memory ran out (`malformed` says so; what was decoded before stays).
 */
int gb_dns_parse(struct gb_dns_msg *m, const void *buf, size_t len);
/* Releases the storage of @m (NULL allowed); @m is a zeroed struct again. */
void gb_dns_msg_free(struct gb_dns_msg *m);
/* The header flags dig shows, in dig's order, space-separated: "qr aa tc rd ra ad cd" (z as "z"); @buf. */
#define GB_DNS_FLAGS_BUF 32
const char *gb_dns_flags_text(const struct gb_dns_msg *m, char buf[GB_DNS_FLAGS_BUF]);

/* Mnemonics; an unknown value is written to @buf as RFC 3597 does: "TYPE65280", "CLASS42", "RCODE12". */
const char *gb_dns_type_name(unsigned type, char buf[GB_DNS_NAME_BUF]);
const char *gb_dns_class_name(unsigned class, char buf[GB_DNS_NAME_BUF]);
/* NOERROR … BADCOOKIE (RFC 6895's registry 0-23; 16 is "BADVERS", also BADSIG in TSIG) */
const char *gb_dns_rcode_name(unsigned rcode, char buf[GB_DNS_NAME_BUF]);
/* QUERY IQUERY STATUS NOTIFY UPDATE DSO; another value as its decimal number */
const char *gb_dns_opcode_name(unsigned opcode, char buf[GB_DNS_NAME_BUF]);
/* NSID, ECS, COOKIE, TCP-KEEPALIVE, PADDING, EDE, ...; unknown "OPT65001" */
const char *gb_dns_opt_name(unsigned code, char buf[GB_DNS_NAME_BUF]);
/* The RFC 8914 name of an extended DNS error ("Blocked"), or NULL. */
const char *gb_dns_ede_name(unsigned code);

/* "aaaa", "TYPE28" or "28" (case-insensitive) to 28; -1 if it names no type. */
int gb_dns_type_parse(const char *s);
/* "nxdomain", "BADSIG", "RCODE3" or "3" to the rcode (0-4095); -1 if it names none. */
int gb_dns_rcode_parse(const char *s);

#endif
