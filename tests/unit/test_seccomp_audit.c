/*
 * seccomp-audit's pure parts: the ring-buffer record (bpf/seccomp_audit.h) into the public event, the kernel's
 * audit record of a seccomp action as /dev/kmsg gives it (real lines captured on the development VM), and the
 * OCI profile code it shares with seccomp-advise (common/cli/seccomp_profile.c).
 */
#include <errno.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "bpf/seccomp_audit.h"
#include "decode.h"
#include "seccomp_profile.h"
#include "unit.h"

/* ---- the ring-buffer record ---- */

static struct sa_event *record(unsigned action, unsigned nr, int data, unsigned flags)
{
	struct sa_event *e = calloc(1, sizeof(*e));

	e->proc.kind = GB_RECORD_EVENT;
	e->proc.pid = 4242;
	e->proc.tid = 4243;
	e->proc.mntns_id = 4026532178ull;
	memcpy(e->proc.comm, "mkdir", 6);
	e->nr = nr;
	e->action = action;
	e->data = data;
	e->flags = flags;
	return e;
}

TEST(test_seccomp_audit_record_decodes_each_action)
{
	static const struct {
		unsigned raw;
		enum gb_seccomp_action action;
		const char *name;
	} cases[] = {{SA_ERRNO, GB_SECCOMP_ERRNO, "errno"},
		     {SA_KILL_PROCESS, GB_SECCOMP_KILL_PROCESS, "kill_process"},
		     {SA_KILL_THREAD, GB_SECCOMP_KILL_THREAD, "kill_thread"},
		     {SA_TRAP, GB_SECCOMP_TRAP, "trap"}};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct sa_event *e = record(cases[i].raw, 83, 13, 0);
		struct gb_seccomp_audit_event ev;
		REQUIRE(gb_decode_seccomp_audit(e, sizeof(*e), &ev) == 0);
		CHECK_INT_EQ(ev.action, cases[i].action);
		CHECK_STR_EQ(gb_seccomp_action_name(ev.action), cases[i].name);
		CHECK_INT_EQ(ev.nr, 83);
		CHECK_INT_EQ(ev.errno_value, 13);
		CHECK(!ev.compat && !ev.first && !ev.syscall && !ev.exe);
		CHECK_INT_EQ(ev.proc.pid, 4242);
		CHECK_INT_EQ(ev.proc.tid, 4243);
		CHECK_STR_EQ(ev.proc.comm, "mkdir");
		free(e);
	}
	CHECK_STR_EQ(gb_seccomp_action_name(GB_SECCOMP_LOG), "log");
	CHECK_STR_EQ(gb_seccomp_action_name(0), "");
	CHECK_STR_EQ(gb_seccomp_action_name(99), "");
}

TEST(test_seccomp_audit_record_compat_short_and_unknown_action)
{
	struct sa_event *e = record(SA_ERRNO, 39, 1, SA_COMPAT);
	struct gb_seccomp_audit_event ev;

	REQUIRE(gb_decode_seccomp_audit(e, sizeof(*e), &ev) == 0);
	CHECK(ev.compat);
	CHECK_INT_EQ(ev.nr, 39);
	CHECK_INT_EQ(gb_decode_seccomp_audit(e, sizeof(*e) - 1, &ev), -EINVAL);
	e->action = 9;
	CHECK_INT_EQ(gb_decode_seccomp_audit(e, sizeof(*e), &ev), -EINVAL);
	free(e);
}

/* ---- the kernel log's audit records ---- */

#define LOG_LINE                                                                                                       \
	"5,631,18990135670,-;audit: type=1326 audit(1796252160.643:2): auid=4294967295 uid=0 gid=0 ses=4294967295 "    \
	"pid=30363 comm=\"mkdir\" exe=\"/bin/busybox\" sig=0 arch=c000003e syscall=83 compat=0 ip=0x47b567 "           \
	"code=0x7ffc0000\n"

TEST(test_audit_seccomp_record_of_a_log_action)
{
	struct gb_audit_seccomp a;

	REQUIRE(gb_parse_audit_seccomp(LOG_LINE, sizeof(LOG_LINE) - 1, &a) == 0);
	CHECK(a.time_ns == 1796252160643000000ull);
	CHECK_INT_EQ(a.pid, 30363);
	CHECK_INT_EQ(a.uid, 0);
	CHECK_INT_EQ(a.gid, 0);
	CHECK_STR_EQ(a.comm, "mkdir");
	CHECK_STR_EQ(a.exe, "/bin/busybox");
	CHECK_INT_EQ(a.sig, 0);
	CHECK(a.arch == 0xc000003eu);
	CHECK_INT_EQ(a.syscall, 83);
	CHECK(!a.compat);
	CHECK(a.code == 0x7ffc0000u);
}

TEST(test_audit_seccomp_record_hex_comm_compat_kill_and_dictionary)
{
	/* a comm with a space is hex-encoded; a 32-bit kill; the record's dictionary lines after it */
	static const char rec[] = "5,632,18990666920,-;audit: type=1326 audit(1796252161.171:3): auid=4294967295 "
				  "uid=1000 gid=1001 ses=4294967295 pid=30563 comm=6D7920636F6D6D exe=\"/w/sc\" "
				  "sig=31 arch=40000003 syscall=39 compat=1 ip=0x8049000 code=0x80000000\n"
				  " SUBSYSTEM=audit\n";
	struct gb_audit_seccomp a;

	REQUIRE(gb_parse_audit_seccomp(rec, sizeof(rec) - 1, &a) == 0);
	CHECK_STR_EQ(a.comm, "my comm");
	CHECK_STR_EQ(a.exe, "/w/sc");
	CHECK_INT_EQ(a.uid, 1000);
	CHECK_INT_EQ(a.gid, 1001);
	CHECK_INT_EQ(a.sig, 31);
	CHECK(a.arch == 0x40000003u);
	CHECK(a.compat);
	CHECK_INT_EQ(a.syscall, 39);
	CHECK(a.code == 0x80000000u);
}

TEST(test_audit_seccomp_other_records_are_refused)
{
	static const char *const recs[] = {
		"6,100,1,-;eth0: link up\n",
		"5,101,2,-;audit: type=1400 audit(1.2:3): apparmor=\"DENIED\" pid=1\n",
		"no semicolon at all",
		"5,102,3,-;audit: type=1326 audit(1796252160.643:2): pid=12 comm=\"x\"\n", /* no syscall, no code */
		"5,103,4,-;audit: type=1326 audit(1796252160.643:2): pid=-5 syscall=1 code=0x0\n",
	};
	struct gb_audit_seccomp a;

	for (size_t i = 0; i < sizeof(recs) / sizeof(*recs); i++)
		CHECK_INT_EQ(gb_parse_audit_seccomp(recs[i], strlen(recs[i]), &a), -EINVAL);
	/* a record cut inside its quoted comm still parses what it has, within its bytes */
	static const char cut[] = "5,1,1,-;audit: type=1326 audit(5.006:1): pid=7 syscall=2 code=0x7ffc0000 comm=\"ab";
	REQUIRE(gb_parse_audit_seccomp(cut, sizeof(cut) - 1, &a) == 0);
	CHECK_STR_EQ(a.comm, "ab");
	CHECK(a.time_ns == 5006000000ull);
}

/* ---- OCI profiles ---- */

static struct sc_names names_of(const char *const *v)
{
	struct sc_names s = {0};

	for (; *v; v++)
		sc_names_add(&s, *v);
	return s;
}

TEST(test_profile_render_oci_and_fragment)
{
	struct sc_names native = names_of((const char *const[]){"write", "read", "read", NULL});
	struct sc_names compat = names_of((const char *const[]){"mkdir", NULL});
	struct strbuf sb = {0};

	sc_render_oci(&sb, &native, &compat, "SCMP_ARCH_X86_64", "SCMP_ARCH_X86");
	CHECK_STR_EQ(sb_str(&sb), "{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"defaultErrnoRet\": 1,\n"
				  "  \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\"],\n  \"syscalls\": [\n"
				  "    {\n      \"names\": [\n        \"read\",\n        \"write\"\n      ],\n"
				  "      \"action\": \"SCMP_ACT_ALLOW\"\n    },\n"
				  "    {\n      \"names\": [\n        \"mkdir\"\n      ],\n"
				  "      \"action\": \"SCMP_ACT_ALLOW\"\n    }\n  ]\n}\n");
	sb_free(&sb);
	struct sc_names none = {0};
	sc_render_allow_entries(&sb, &none, &compat, 2);
	CHECK_STR_EQ(sb_str(&sb),
		     "\n  {\n    \"names\": [\n      \"mkdir\"\n    ],\n    \"action\": \"SCMP_ACT_ALLOW\"\n  }");
	sb_free(&sb);
	sc_names_free(&native);
	sc_names_free(&compat);
}

TEST(test_profile_allow_takes_names_out_of_denying_and_conditional_rules)
{
	const char *doc = "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86_64\"],"
			  "\"syscalls\":[{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"},"
			  "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":1,"
			  "\"op\":\"SCMP_CMP_EQ\"}]},{\"names\":[\"mkdir\",\"kill\"],\"action\":\"SCMP_ACT_KILL\"}]}";
	cJSON *j = cJSON_Parse(doc);
	struct sc_names native = names_of((const char *const[]){"mkdir", "clone", NULL});
	struct sc_names compat = names_of((const char *const[]){"symlink", NULL});
	struct sc_names allowed = {0};

	REQUIRE(j);
	REQUIRE(sc_profile_allow(j, &native, &compat, "SCMP_ARCH_X86") == 0);
	char *text = cJSON_PrintUnformatted(j);
	CHECK_STR_EQ(text, "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86_64\","
			   "\"SCMP_ARCH_X86\"],\"syscalls\":[{\"names\":[\"read\",\"write\"],\"action\":"
			   "\"SCMP_ACT_ALLOW\"},{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_KILL\"},{\"names\":"
			   "[\"clone\",\"mkdir\",\"symlink\"],\"action\":\"SCMP_ACT_ALLOW\"}]}");
	free(text);
	sc_profile_allowed(j, &allowed);
	CHECK_INT_EQ(allowed.n, 5);
	CHECK(sc_names_has(&allowed, "symlink") && !sc_names_has(&allowed, "kill"));
	cJSON_Delete(j);

	/* an allow-by-default profile: the names only leave the rules that deny them */
	j = cJSON_Parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
			"\"action\":\"SCMP_ACT_ERRNO\"}]}");
	REQUIRE(sc_profile_allow(j, &native, &compat, "SCMP_ARCH_X86") == 0);
	text = cJSON_PrintUnformatted(j);
	CHECK_STR_EQ(text, "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[]}");
	free(text);
	cJSON_Delete(j);
	sc_names_free(&native);
	sc_names_free(&compat);
	sc_names_free(&allowed);
}

TEST(test_profile_read_refuses_what_is_no_profile)
{
	struct strbuf err = {0};

	CHECK(!sc_profile_read("/nonexistent/gb-profile.json", &err));
	CHECK(strstr(sb_str(&err), "cannot open /nonexistent/gb-profile.json") != NULL);
	sb_free(&err);
	CHECK(!sc_profile_read("/dev/null", &err));
	CHECK_STR_EQ(sb_str(&err), "/dev/null is not an OCI seccomp profile (no \"syscalls\" array)");
	sb_free(&err);
}
