#include "metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "clock.h"
#include "dnsmsg.h"
#include "strbuf.h"

/* ---- the registry ---- */

enum metric {
	M_EXECS,
	M_OPEN_FAILURES,
	M_DNS_QUERIES,
	M_DNS_RESPONSES,
	M_DNS_TIMEOUTS,
	M_TCP_CONNECTS,
	M_BIND_FAILURES,
	M_EXITS,
	M_OOM_KILLS,
	M_SIGNALS,
	M_SECCOMP_DENIALS,
	M_COUNT
};

static const struct {
	const char *name, *help;
} metric_info[M_COUNT] = {
	[M_EXECS] = {"gadgetbox_execs_total", "execve and execveat calls, by result (ok or the errno)"},
	[M_OPEN_FAILURES] = {"gadgetbox_open_failures_total", "failed opens, by errno"},
	[M_DNS_QUERIES] = {"gadgetbox_dns_queries_total", "DNS queries sent, by qtype"},
	[M_DNS_RESPONSES] = {"gadgetbox_dns_responses_total", "DNS responses received, by qtype and rcode"},
	[M_DNS_TIMEOUTS] = {"gadgetbox_dns_timeouts_total", "DNS queries that got no response in time, by qtype"},
	[M_TCP_CONNECTS] = {"gadgetbox_tcp_connects_total", "TCP connects, by result (established or the errno)"},
	[M_BIND_FAILURES] = {"gadgetbox_bind_failures_total", "failed bind() calls, by errno"},
	[M_EXITS] = {"gadgetbox_exits_total", "process ends, by cause (code: exit(N), signal, oom)"},
	[M_OOM_KILLS] = {"gadgetbox_oom_kills_total", "processes the OOM killer ended"},
	[M_SIGNALS] = {"gadgetbox_signals_total", "signals sent to or by the container's processes, by signal"},
	[M_SECCOMP_DENIALS] = {"gadgetbox_seccomp_denials_total",
			       "syscalls a seccomp filter refused, killed, trapped or logged, by syscall and action"},
};

/* latency histograms' upper bounds, seconds */
static const double bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NBOUNDS (sizeof(bounds) / sizeof(bounds[0]))

struct hist {
	uint64_t buckets[NBOUNDS]; /* not cumulative: rendered cumulative */
	uint64_t count;
	uint64_t sum_ns;
};

enum { H_DNS, H_TCP, H_COUNT };

static const struct {
	const char *name, *help;
} hist_info[H_COUNT] = {
	[H_DNS] = {"gadgetbox_dns_latency_seconds", "time from a DNS query to its response"},
	[H_TCP] = {"gadgetbox_tcp_connect_latency_seconds", "time from a TCP connect's first SYN to its result"},
};

/* One container (id "" for the host's processes), with its labels rendered once. */
struct series {
	char id[GB_CONTAINER_ID_MAX + 1];
	char labels[400]; /* namespace="...",pod="...",container="..." */
	uint64_t gone_ns; /* when it was first seen missing from the table (0: present) */
	struct hist hist[H_COUNT];
};

struct counter {
	uint32_t series;
	uint16_t metric;
	char labels[78]; /* the metric's own labels, rendered: result="ok" */
	uint64_t value;
};

#define MAX_GADGETS 16

static struct registry {
	struct series *series;
	size_t nseries;
	struct counter *counters;
	size_t ncounters, counters_cap;
	uint64_t dropped; /* label sets that found no room */
	struct {
		const char *gadget;
		uint64_t lost;
	} lost[MAX_GADGETS];
	size_t nlost;
	struct {
		const char *runtime;
		uint64_t n;
	} runtimes[16];
	size_t nruntimes;
} reg;

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static bool metrics_on;
static double retention_ns;
/* lookup tables of the event loop's thread (rebuilt under the lock when series go) */
static uint32_t *series_index, *counter_index; /* open addressing: entry + 1, 0 empty */
static size_t series_index_cap, counter_index_cap;
static struct gb_tracer *tracers[MAX_GADGETS];
static const char *applet_name = "";

static uint64_t hash_str(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

static void esc_label(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			sb_addc(sb, '\\');
		if (*s == '\n')
			sb_adds(sb, "\\n");
		else
			sb_addc(sb, *s);
	}
}

static void index_series(size_t i)
{
	size_t mask = series_index_cap - 1;
	for (size_t h = hash_str(0xcbf29ce484222325ull, reg.series[i].id) & mask;; h = (h + 1) & mask)
		if (!series_index[h]) {
			series_index[h] = (uint32_t)i + 1;
			return;
		}
}

static uint64_t counter_hash(uint32_t series, unsigned metric, const char *labels)
{
	return hash_str(0xcbf29ce484222325ull ^ ((uint64_t)series << 8 | metric), labels);
}

static void index_counter(size_t i)
{
	const struct counter *c = &reg.counters[i];
	size_t mask = counter_index_cap - 1;
	for (size_t h = counter_hash(c->series, c->metric, c->labels) & mask;; h = (h + 1) & mask)
		if (!counter_index[h]) {
			counter_index[h] = (uint32_t)i + 1;
			return;
		}
}

static void reindex(void)
{
	memset(series_index, 0, series_index_cap * sizeof(*series_index));
	for (size_t i = 0; i < reg.nseries; i++)
		index_series(i);
	memset(counter_index, 0, counter_index_cap * sizeof(*counter_index));
	for (size_t i = 0; i < reg.ncounters; i++)
		index_counter(i);
}

/* The series of @c's container (NULL: the host), added if new; SIZE_MAX when there is no room. */
static size_t series_of(const struct gb_container *c)
{
	const char *id = c ? c->id : "";
	size_t mask = series_index_cap - 1;
	size_t h = hash_str(0xcbf29ce484222325ull, id) & mask;

	for (; series_index[h]; h = (h + 1) & mask)
		if (!strcmp(reg.series[series_index[h] - 1].id, id))
			return series_index[h] - 1;
	if (reg.nseries == GB_METRICS_MAX_SERIES) {
		reg.dropped++;
		return SIZE_MAX;
	}
	struct series *s = &reg.series[reg.nseries];
	struct strbuf sb = {0};
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "%s", id);
	sb_adds(&sb, "namespace=\"");
	esc_label(&sb, c ? c->k8s_namespace : "");
	sb_adds(&sb, "\",pod=\"");
	esc_label(&sb, c ? c->k8s_pod : "");
	sb_adds(&sb, "\",container=\"");
	esc_label(&sb, c ? (*c->k8s_container ? c->k8s_container : c->name) : "");
	sb_adds(&sb, "\"");
	snprintf(s->labels, sizeof(s->labels), "%s", sb_str(&sb));
	sb_free(&sb);
	series_index[h] = (uint32_t)reg.nseries + 1;
	return reg.nseries++;
}

/* Add @n to @metric{@labels} of the event's container. The caller holds the lock. */
static void add_locked(const struct gb_container *c, enum metric metric, const char *labels, uint64_t n)
{
	size_t s = series_of(c);
	if (s == SIZE_MAX)
		return;
	size_t mask = counter_index_cap - 1;
	size_t h = counter_hash((uint32_t)s, metric, labels) & mask;
	for (; counter_index[h]; h = (h + 1) & mask) {
		struct counter *k = &reg.counters[counter_index[h] - 1];
		if (k->series == s && k->metric == metric && !strcmp(k->labels, labels)) {
			k->value += n;
			return;
		}
	}
	if (reg.ncounters == GB_METRICS_MAX_COUNTERS) {
		reg.dropped++;
		return;
	}
	if (reg.ncounters == reg.counters_cap) {
		reg.counters_cap = reg.counters_cap ? 2 * reg.counters_cap : 256;
		if (!(reg.counters = realloc(reg.counters, reg.counters_cap * sizeof(*reg.counters))))
			abort();
	}
	struct counter *k = &reg.counters[reg.ncounters];
	*k = (struct counter){.series = (uint32_t)s, .metric = (uint16_t)metric, .value = n};
	snprintf(k->labels, sizeof(k->labels), "%s", labels);
	counter_index[h] = (uint32_t)reg.ncounters + 1;
	reg.ncounters++;
}

static void add(const struct gb_container *c, enum metric metric, const char *labels)
{
	if (!metrics_on)
		return;
	pthread_mutex_lock(&reg_lock);
	add_locked(c, metric, labels, 1);
	pthread_mutex_unlock(&reg_lock);
}

static void observe(const struct gb_container *c, int which, uint64_t ns)
{
	if (!metrics_on)
		return;
	pthread_mutex_lock(&reg_lock);
	size_t s = series_of(c);
	if (s != SIZE_MAX) {
		struct hist *h = &reg.series[s].hist[which];
		size_t b = 0;
		while (b < NBOUNDS && ns > bounds[b] * 1e9)
			b++;
		if (b < NBOUNDS)
			h->buckets[b]++;
		h->count++;
		h->sum_ns += ns;
	}
	pthread_mutex_unlock(&reg_lock);
}

/* ---- the events ---- */

static const char *errno_label(int err, char buf[64])
{
	char name[16];
	snprintf(buf, 64, "errno=\"%s\"", gb_errno_name(err, name));
	return buf;
}

void gb_metrics_exec(const struct gb_exec_event *e)
{
	char l[64], name[16];

	snprintf(l, sizeof(l), "result=\"%s\"", e->ret < 0 ? gb_errno_name(e->ret, name) : "ok");
	add(e->proc.container, M_EXECS, l);
}

void gb_metrics_open(const struct gb_open_event *e)
{
	char l[64];

	if (e->ret < 0)
		add(e->proc.container, M_OPEN_FAILURES, errno_label(e->ret, l));
}

void gb_metrics_exit(const struct gb_exit_event *e)
{
	bool oom = e->signal && e->cause.origin == GB_SIGNAL_OOM;

	if (e->thread)
		return;
	add(e->proc.container, M_EXITS, oom ? "cause=\"oom\"" : e->signal ? "cause=\"signal\"" : "cause=\"code\"");
	if (oom)
		add(e->proc.container, M_OOM_KILLS, "");
}

void gb_metrics_signal(const struct gb_signal_event *e)
{
	char l[64], name[16];

	if (e->result == GB_SIGNAL_FAILED)
		return;
	snprintf(l, sizeof(l), "signal=\"%s\"", gb_signal_name(e->info.sig, name));
	/* the target's container: what was done to it (a host process signalled counts for the host) */
	add(e->target.pid ? e->target.container : e->proc.container, M_SIGNALS, l);
}

void gb_metrics_tcp(const struct gb_tcp_event *e)
{
	char l[64], name[16];

	if (e->type != GB_TCP_CONNECT)
		return;
	snprintf(l, sizeof(l), "result=\"%s\"", e->error ? gb_errno_name(e->error, name) : "established");
	add(e->proc.container, M_TCP_CONNECTS, l);
	observe(e->proc.container, H_TCP, e->latency_ns);
}

void gb_metrics_bind(const struct gb_bind_event *e)
{
	char l[64];

	if (e->ret < 0)
		add(e->proc.container, M_BIND_FAILURES, errno_label(e->ret, l));
}

void gb_metrics_dns(const struct gb_dns_event *e)
{
	const struct gb_dns_msg *m = e->dns;
	char l[78], qbuf[GB_DNS_NAME_BUF], rcode[GB_DNS_NAME_BUF];
	const char *qtype;

	if (!metrics_on || e->msg_len < GB_DNS_HEADER_LEN || !m->nqd)
		return;
	qtype = gb_dns_type_name(m->qd[0].type, qbuf);
	if (e->kind == GB_DNS_TIMEOUT) {
		snprintf(l, sizeof(l), "qtype=\"%.16s\"", qtype);
		add(e->proc.container, M_DNS_TIMEOUTS, l);
	} else if (!m->qr && e->egress) {
		snprintf(l, sizeof(l), "qtype=\"%.16s\"", qtype);
		add(e->proc.container, M_DNS_QUERIES, l);
	} else if (m->qr && !e->egress) {
		snprintf(l, sizeof(l), "qtype=\"%.16s\",rcode=\"%.16s\"", qtype, gb_dns_rcode_name(m->rcode, rcode));
		add(e->proc.container, M_DNS_RESPONSES, l);
		if (e->matched)
			observe(e->proc.container, H_DNS, e->latency_ns);
	}
}

void gb_metrics_seccomp_audit(const struct gb_seccomp_audit_event *e)
{
	char l[78];

	snprintf(l, sizeof(l), "syscall=\"%.32s\",action=\"%s\"", e->syscall ? e->syscall : "unknown",
		 gb_seccomp_action_name(e->action));
	add(e->proc.container, M_SECCOMP_DENIALS, l);
}

/* ---- the loop's upkeep ---- */

void gb_metrics_tracer(const char *gadget, struct gb_tracer *t)
{
	if (!metrics_on || !t || reg.nlost == MAX_GADGETS)
		return;
	pthread_mutex_lock(&reg_lock);
	tracers[reg.nlost] = t;
	reg.lost[reg.nlost++].gadget = gadget;
	pthread_mutex_unlock(&reg_lock);
}

void gb_metrics_sweep(struct gb_ctx *ctx)
{
	uint64_t now = gb_clock_boottime_ns();
	const struct gb_container *c;
	bool dropped = false;

	if (!metrics_on)
		return;
	pthread_mutex_lock(&reg_lock);
	for (size_t i = 0; i < reg.nlost; i++)
		reg.lost[i].lost = gb_tracer__lost(tracers[i]);
	reg.nruntimes = 0;
	/* which series' containers are still in the table: marked present by gone_ns = 0 */
	for (size_t i = 0; i < reg.nseries; i++)
		if (reg.series[i].id[0] && !reg.series[i].gone_ns)
			reg.series[i].gone_ns = now;
	for (unsigned i = 0; (c = gb_ctx__container(ctx, i)); i++) {
		if (c->sandbox)
			continue;
		size_t r = 0;
		while (r < reg.nruntimes && strcmp(reg.runtimes[r].runtime, c->runtime))
			r++;
		if (r == reg.nruntimes && r < sizeof(reg.runtimes) / sizeof(reg.runtimes[0]))
			reg.runtimes[reg.nruntimes++] = (typeof(reg.runtimes[0])){c->runtime, 0};
		if (r < reg.nruntimes)
			reg.runtimes[r].n++;
		size_t mask = series_index_cap - 1;
		for (size_t h = hash_str(0xcbf29ce484222325ull, c->id) & mask; series_index[h]; h = (h + 1) & mask)
			if (!strcmp(reg.series[series_index[h] - 1].id, c->id)) {
				struct series *s = &reg.series[series_index[h] - 1];
				/* seen gone this round only: back */
				if (s->gone_ns == now)
					s->gone_ns = 0;
				break;
			}
	}
	/* the series gone longer than the retention go, with their counters; the rest keep their order */
	size_t *map = NULL, kept = 0;
	for (size_t i = 0; i < reg.nseries; i++)
		if (reg.series[i].gone_ns && now - reg.series[i].gone_ns > retention_ns)
			dropped = true;
	if (dropped) {
		if (!(map = malloc(reg.nseries * sizeof(*map))))
			abort();
		for (size_t i = 0; i < reg.nseries; i++) {
			bool go = reg.series[i].gone_ns && now - reg.series[i].gone_ns > retention_ns;
			map[i] = go ? SIZE_MAX : kept;
			if (!go)
				reg.series[kept++] = reg.series[i];
		}
		reg.nseries = kept;
		kept = 0;
		for (size_t i = 0; i < reg.ncounters; i++) {
			struct counter k = reg.counters[i];
			if (map[k.series] == SIZE_MAX)
				continue;
			k.series = (uint32_t)map[k.series];
			reg.counters[kept++] = k;
		}
		reg.ncounters = kept;
		free(map);
		reindex();
	}
	pthread_mutex_unlock(&reg_lock);
}

/* ---- the exposition ---- */

/* What a scrape renders from: a copy taken under the lock. */
struct snapshot {
	struct registry r;
};

static int cmp_counters(const void *a, const void *b)
{
	const struct counter *x = a, *y = b;
	if (x->metric != y->metric)
		return x->metric < y->metric ? -1 : 1;
	if (x->series != y->series)
		return x->series < y->series ? -1 : 1;
	return strcmp(x->labels, y->labels);
}

static void render(struct strbuf *sb, struct registry *r)
{
	qsort(r->counters, r->ncounters, sizeof(*r->counters), cmp_counters);
	sb_addf(sb,
		"# HELP gadgetbox_build_info gadgetbox's version and what it was built from\n"
		"# TYPE gadgetbox_build_info gauge\ngadgetbox_build_info{version=\"%s\",applet=\"%s\"} 1\n",
		GADGETBOX_VERSION, applet_name);
	for (size_t m = 0, i = 0; m < M_COUNT; m++) {
		sb_addf(sb, "# HELP %s %s\n# TYPE %s counter\n", metric_info[m].name, metric_info[m].help,
			metric_info[m].name);
		for (; i < r->ncounters && r->counters[i].metric == m; i++) {
			const struct counter *k = &r->counters[i];
			sb_addf(sb, "%s{%s%s%s} %llu\n", metric_info[m].name, r->series[k->series].labels,
				k->labels[0] ? "," : "", k->labels, (unsigned long long)k->value);
		}
	}
	for (size_t hh = 0; hh < H_COUNT; hh++) {
		sb_addf(sb, "# HELP %s %s\n# TYPE %s histogram\n", hist_info[hh].name, hist_info[hh].help,
			hist_info[hh].name);
		for (size_t s = 0; s < r->nseries; s++) {
			const struct hist *h = &r->series[s].hist[hh];
			uint64_t cum = 0;
			if (!h->count)
				continue;
			for (size_t b = 0; b < NBOUNDS; b++) {
				cum += h->buckets[b];
				sb_addf(sb, "%s_bucket{%s,le=\"%g\"} %llu\n", hist_info[hh].name, r->series[s].labels,
					bounds[b], (unsigned long long)cum);
			}
			sb_addf(sb, "%s_bucket{%s,le=\"+Inf\"} %llu\n%s_sum{%s} %.9f\n%s_count{%s} %llu\n",
				hist_info[hh].name, r->series[s].labels, (unsigned long long)h->count,
				hist_info[hh].name, r->series[s].labels, h->sum_ns / 1e9, hist_info[hh].name,
				r->series[s].labels, (unsigned long long)h->count);
		}
	}
	sb_adds(sb, "# HELP gadgetbox_events_lost_total events the kernel could not hand over (ring buffer full), by "
		    "gadget\n# TYPE gadgetbox_events_lost_total counter\n");
	for (size_t i = 0; i < r->nlost; i++)
		sb_addf(sb, "gadgetbox_events_lost_total{gadget=\"%s\"} %llu\n", r->lost[i].gadget,
			(unsigned long long)r->lost[i].lost);
	sb_adds(sb, "# HELP gadgetbox_containers the node's containers gadgetbox knows, by runtime (sandboxes aside)\n"
		    "# TYPE gadgetbox_containers gauge\n");
	for (size_t i = 0; i < r->nruntimes; i++)
		sb_addf(sb, "gadgetbox_containers{runtime=\"%s\"} %llu\n", r->runtimes[i].runtime,
			(unsigned long long)r->runtimes[i].n);
	sb_addf(sb,
		"# HELP gadgetbox_metrics_series containers with series now\n# TYPE gadgetbox_metrics_series gauge\n"
		"gadgetbox_metrics_series %zu\n",
		r->nseries);
	sb_addf(sb,
		"# HELP gadgetbox_metrics_dropped_total label sets not counted: the registry was full\n"
		"# TYPE gadgetbox_metrics_dropped_total counter\ngadgetbox_metrics_dropped_total %llu\n",
		(unsigned long long)r->dropped);
}

void gb_metrics_render(struct strbuf *sb)
{
	struct registry copy;

	pthread_mutex_lock(&reg_lock);
	copy = reg;
	copy.series = malloc((reg.nseries ? reg.nseries : 1) * sizeof(*copy.series));
	copy.counters = malloc((reg.ncounters ? reg.ncounters : 1) * sizeof(*copy.counters));
	if (!copy.series || !copy.counters)
		abort();
	memcpy(copy.series, reg.series, reg.nseries * sizeof(*copy.series));
	memcpy(copy.counters, reg.counters, reg.ncounters * sizeof(*copy.counters));
	pthread_mutex_unlock(&reg_lock);
	render(sb, &copy);
	free(copy.series);
	free(copy.counters);
}

/* ---- HTTP ---- */

static struct MHD_Daemon *daemon_;

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			      const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned status = MHD_HTTP_OK;
	struct strbuf sb = {0};

	(void)cls, (void)version, (void)upload_data, (void)con_cls;
	if (*upload_data_size) { /* a body: not read, not wanted */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		sb_adds(&sb, "only GET\n");
	} else if (strcmp(url, "/metrics")) {
		status = MHD_HTTP_NOT_FOUND;
		sb_adds(&sb, "gadgetbox: the metrics are at /metrics\n");
	} else {
		gb_metrics_render(&sb);
	}
	resp = MHD_create_response_from_buffer(sb.len, sb.len ? sb.buf : (void *)"", MHD_RESPMEM_MUST_COPY);
	sb_free(&sb);
	if (!resp)
		return MHD_NO;
	if (status == MHD_HTTP_OK)
		MHD_add_response_header(resp, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

bool gb_metrics_on(void)
{
	return metrics_on;
}

int gb_metrics_start(const struct gb_metrics_addr *a, double retention_s, const char *applet)
{
	if (!a)
		return 0;
	applet_name = applet;
	retention_ns = (retention_s > 0 ? retention_s : GB_METRICS_DEFAULT_RETENTION) * 1e9;
	series_index_cap = 2 * GB_METRICS_MAX_SERIES;
	counter_index_cap = 2 * GB_METRICS_MAX_COUNTERS;
	reg.series = calloc(GB_METRICS_MAX_SERIES, sizeof(*reg.series));
	series_index = calloc(series_index_cap, sizeof(*series_index));
	counter_index = calloc(counter_index_cap, sizeof(*counter_index));
	if (!reg.series || !series_index || !counter_index)
		abort();
	metrics_on = true;
	/* its own thread (epoll): idle and slow clients time out after 10 s and never reach the event loop; a
	 * connection costs a 4 KiB buffer at most, 1024 of them at once */
	daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, answer, NULL,
				   MHD_OPTION_SOCK_ADDR, &a->sa, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
				   MHD_OPTION_CONNECTION_LIMIT, (unsigned)1024, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
				   (size_t)4096, MHD_OPTION_END);
	if (!daemon_) {
		int err = errno ? errno : EADDRINUSE;
		gb_metrics_stop();
		errno = err;
		return -1;
	}
	return 0;
}

void gb_metrics_stop(void)
{
	if (daemon_)
		MHD_stop_daemon(daemon_);
	daemon_ = NULL;
	metrics_on = false;
	free(reg.series);
	free(reg.counters);
	free(series_index);
	free(counter_index);
	memset(&reg, 0, sizeof(reg));
	series_index = counter_index = NULL;
}
