/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one declaration of every key. Loading (unknown keys), building
 * (types, ranges, defaults), lb_spec_set (runtime or not), printing,
 * lb_spec_check_static and the reference.ini test all read this table:
 * adding a key is one line here plus its use in build.c.
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ether.h>

#include "config_priv.h"

#define G LB_SECTION_GLOBAL
#define P LB_SECTION_PORT
#define V LB_SECTION_VIP
#define O LB_SECTION_POOL
#define B LB_SECTION_BACKEND
#define R LB_SECTION_BGP

static const char *const w_proto[] = { "tcp", "udp", NULL };
static const char *const w_mode[] = { "dr", NULL };
static const char *const w_mode_planned[] = { "nat", "fullnat", "ipip",
					      "gue", NULL };
static const char *const w_sched[] = { "maglev", NULL };
static const char *const w_on_remove[] = { "keep", "reschedule", NULL };
static const char *const w_admin[] = { "enabled", "drained", "disabled",
				       NULL };
static const char *const w_health[] = { "none", "tcp", "http", "https",
					NULL };
static const char *const w_all_down[] = { "fail_open", "fail_closed", NULL };
static const char *const w_yes_no[] = { "yes", "no", NULL };
static const char *const w_policy[] = { "enforce", "warn", NULL };

/* Order: as documented in reference.ini and the README. */
static const struct lb_config_key keys[] = {
	{ G, "socket", LB_KEY_PATH, 0, LB_SOCKET_PATH_MAX - 1, NULL, NULL,
	  "/run/edgelb/edgelb.sock", 0,
	  "path of the management Unix socket" },
	{ G, "socket_group", LB_KEY_GROUP, 0, LB_GROUP_MAX, NULL, NULL,
	  "root", 0, "group owning the socket (mode 0660)" },
	{ G, "admin_group", LB_KEY_GROUP, 0, LB_GROUP_MAX, NULL, NULL,
	  "", 1, "group whose members may run state-changing commands; "
	  "empty: uid 0 only" },
	{ G, "audit_log", LB_KEY_PATH, 0, LB_PATH_MAX - 1, NULL, NULL,
	  "/var/log/edgelb/audit.log", 0,
	  "file every change is appended to" },
	{ G, "workers", LB_KEY_U32, 1, LB_MAX_WORKERS, NULL, NULL, "1", 0,
	  "worker lcores; worker i owns RX/TX queue i of every port" },
	{ G, "eal_args", LB_KEY_STRING, 0, LB_EAL_ARGS_MAX - 1, NULL, NULL,
	  "", 0, "extra DPDK EAL arguments, split on white space" },
	{ G, "flow_table_size", LB_KEY_U32, 1024, 16777216, NULL, NULL,
	  "65536", 0, "flow-table entries per worker" },
	{ G, "idle_sleep_us", LB_KEY_U32, 0, 100000, NULL, NULL, "0", 1,
	  "worker back-off after an empty poll, us; 0 = pure polling" },
	{ G, "extra_mbufs", LB_KEY_U32, 0, 16777216, NULL, NULL, "0", 0,
	  "mbufs added to the computed pool" },
	{ G, "tcp_timeout", LB_KEY_U32, 1, 86400, NULL, NULL, "900", 1,
	  "idle timeout of an established TCP flow, s" },
	{ G, "tcp_fin_timeout", LB_KEY_U32, 1, 3600, NULL, NULL, "10", 1,
	  "timeout of a TCP flow once FIN or RST was seen, s" },
	{ G, "tcp_syn_timeout", LB_KEY_U32, 1, 600, NULL, NULL, "5", 1,
	  "timeout of an embryonic TCP flow (a SYN, no handshake ACK yet), "
	  "s" },
	{ G, "udp_timeout", LB_KEY_U32, 1, 86400, NULL, NULL, "300", 1,
	  "idle timeout of a UDP flow, s" },
	{ G, "icmp_echo_rate", LB_KEY_U32, 0, 10000000, NULL, NULL, "1000",
	  1, "ICMP echo requests answered per second per worker; the rest "
	  "are dropped (icmp_rate_limited); 0 = none answered" },
	{ G, "icmp_echo_burst", LB_KEY_U32, 1, 1000000, NULL, NULL, "50", 1,
	  "echo requests answered back to back before icmp_echo_rate "
	  "applies" },
	{ G, "arp_reply_rate", LB_KEY_U32, 0, 10000000, NULL, NULL, "1000", 1,
	  "ARP requests answered per second per worker; the rest are "
	  "dropped (arp_rate_limited); 0 = none answered" },
	{ G, "arp_reply_burst", LB_KEY_U32, 1, 1000000, NULL, NULL, "100", 1,
	  "ARP requests answered back to back before arp_reply_rate "
	  "applies" },
	{ G, "hash_key", LB_KEY_SECRET, 0, LB_HASH_KEY_HEX_LEN, NULL, NULL,
	  "", 0, "the scheduler's secret hash key, 32 hex digits (128 bits), "
	  "the same on every box of a fleet; empty: a random key per start "
	  "(warned)" },
	{ G, "metrics_listen", LB_KEY_LISTEN, 0, 0, NULL, NULL, "", 0,
	  "address:port of the Prometheus endpoint (/metrics); empty: "
	  "off" },
	{ G, "policy", LB_KEY_ENUM, 0, 0, w_policy, NULL, "enforce", 1,
	  "what a policy violation does: enforce (the file or change is "
	  "refused) or warn (reported only)" },
	{ G, "strict", LB_KEY_ENUM, 0, 0, w_yes_no, NULL, "no", 1,
	  "yes: lint findings (weight outliers, headroom, capacity) are "
	  "violations, not warnings" },
	{ G, "watch_window_s", LB_KEY_U32, 2, 60, NULL, NULL, "10", 1,
	  "the distribution watch's sliding window, s: each backend's share "
	  "of its pool's new flows over it is tested every second" },
	{ G, "watch_for_s", LB_KEY_U32, 0, 300, NULL, NULL, "3", 1,
	  "an alert's condition holds this long before it fires (pending "
	  "until then), and is gone this long before it resolves, s" },
	{ P, "device", LB_KEY_DEVICE, 0, LB_DEVICE_MAX - 1, NULL, NULL, NULL,
	  0, "DPDK vdev string or PCI address" },
	{ P, "address", LB_KEY_IPV4_PREFIX, 0, 0, NULL, NULL, NULL, 0,
	  "the appliance's own address on this port, a.b.c.d/len" },
	{ P, "gateway", LB_KEY_IPV4, 0, 0, NULL, NULL, "", 0,
	  "next-hop router on this subnet, resolved by ARP" },
	{ P, "kernel_interface", LB_KEY_STRING, 0, LB_IFNAME_MAX, NULL, NULL,
	  "", 0, "Linux interface for the port's own address (TAP); "
	  "empty: none" },
	{ P, "vlan", LB_KEY_U32, 1, 4094, NULL, NULL, "", 0,
	  "802.1Q VLAN id the port sends and accepts; unset: untagged "
	  "frames only" },
	{ V, "address", LB_KEY_IPV4, 0, 0, NULL, NULL, NULL, 1,
	  "the VIP address" },
	{ V, "port", LB_KEY_U32, 1, 65535, NULL, NULL, NULL, 1,
	  "destination port" },
	{ V, "protocol", LB_KEY_ENUM, 0, 0, w_proto, NULL, "tcp", 1,
	  "tcp or udp" },
	{ V, "mode", LB_KEY_ENUM, 0, 0, w_mode, w_mode_planned, "dr", 1,
	  "forwarding mode" },
	{ V, "pool", LB_KEY_POOL, 0, 0, NULL, NULL, NULL, 1,
	  "the [pool.NAME] serving this VIP" },
	{ V, "expected_rate", LB_KEY_U32, 1, 1000000000, NULL, NULL, "", 1,
	  "new connections/s this VIP is expected to take (capacity lint); "
	  "unset: unknown" },
	{ V, "announce", LB_KEY_ENUM, 0, 0, w_yes_no, NULL, "yes", 1,
	  "with [bgp]: announce this VIP's address while it can serve; no: "
	  "never announced by this box" },
	{ O, "scheduler", LB_KEY_ENUM, 0, 0, w_sched, NULL, "maglev", 1,
	  "scheduler" },
	{ O, "table_size", LB_KEY_U32, LB_SCHED_MIN_TABLE_SIZE,
	  LB_SCHED_MAX_TABLE_SIZE, NULL, NULL, "65537", 1,
	  "Maglev table size M: prime, larger than the number of backends" },
	{ O, "on_remove", LB_KEY_ENUM, 0, 0, w_on_remove, NULL, "keep", 1,
	  "what an established flow does when its backend is disabled, "
	  "removed or down" },
	{ O, "health", LB_KEY_ENUM, 0, 0, w_health, NULL, "none", 1,
	  "health check: none, tcp (connect), http or https (a GET)" },
	{ O, "health_port", LB_KEY_U32, 0, 65535, NULL, NULL, "0", 1,
	  "port checked; 0 = the port of the first VIP served by the pool" },
	{ O, "health_interval_ms", LB_KEY_U32, 100, 3600000, NULL, NULL,
	  "2000", 1, "time between two checks of a backend, ms" },
	{ O, "health_timeout_ms", LB_KEY_U32, 10, 3600000, NULL, NULL,
	  "1000", 1, "a check not answered in this time fails, ms; at most "
	  "health_interval_ms" },
	{ O, "health_rise", LB_KEY_U32, 1, 100, NULL, NULL, "2", 1,
	  "consecutive successes that bring a down backend up" },
	{ O, "health_fall", LB_KEY_U32, 1, 100, NULL, NULL, "3", 1,
	  "consecutive failures that take an up backend down" },
	{ O, "health_path", LB_KEY_URL_PATH, 0, LB_HEALTH_PATH_MAX - 1, NULL,
	  NULL, "/", 1, "http(s): the path requested" },
	{ O, "health_host", LB_KEY_HOST, 0, LB_HEALTH_HOST_MAX - 1, NULL,
	  NULL, "", 1, "http(s): the Host header; empty: the backend's "
	  "address" },
	{ O, "health_expect", LB_KEY_STATUS_RANGE, 0, 0, NULL, NULL,
	  "200-399", 1, "http(s): status code or range that passes" },
	{ O, "all_down", LB_KEY_ENUM, 0, 0, w_all_down, NULL, "fail_open", 1,
	  "when every backend is down: fail_open (send by weight as if all "
	  "were up) or fail_closed (refuse new flows: TCP RST, ICMP "
	  "unreachable)" },
	{ O, "slow_start_s", LB_KEY_U32, 0, 3600, NULL, NULL, "0", 1,
	  "a backend that comes up ramps from a tenth of its weight to all "
	  "of it over this time, s; 0 = at once" },
	{ O, "min_healthy", LB_KEY_COUNT_PERCENT, 1, LB_SCHED_MAX_BACKENDS,
	  NULL, NULL, "", 1, "policy: backends that must be up with weight "
	  "> 0, a count (2) or a percent of the pool's backends (50%); "
	  "unset: none" },
	{ O, "max_weight_ratio", LB_KEY_U32, 1, 65535, NULL, NULL, "", 1,
	  "policy: largest over smallest non-zero weight in the pool; "
	  "unset: none" },
	{ O, "n_minus_1", LB_KEY_ENUM, 0, 0, w_yes_no, NULL, "no", 1,
	  "policy: yes = with any one backend down, every other stays "
	  "within its max_share" },
	{ O, "max_share_change", LB_KEY_U32, 0, 100, NULL, NULL, "", 1,
	  "policy: percentage points a backend's expected share may move in "
	  "one change; unset: any" },
	{ B, "pool", LB_KEY_POOL, 0, 0, NULL, NULL, NULL, 1,
	  "the pool it belongs to" },
	{ B, "address", LB_KEY_IPV4, 0, 0, NULL, NULL, NULL, 1,
	  "the server's address, on-link on one port" },
	{ B, "weight", LB_KEY_U32, 0, 65535, NULL, NULL, "1", 1,
	  "relative share of new flows; 0 = no new flows" },
	{ B, "mac", LB_KEY_MAC, 0, 0, NULL, NULL, "", 1,
	  "static next hop MAC, never resolved by ARP" },
	{ B, "admin_state", LB_KEY_ENUM, 0, 0, w_admin, NULL, "enabled", 1,
	  "enabled, drained (no new flows) or disabled (no flows)" },
	{ B, "health_port", LB_KEY_U32, 0, 65535, NULL, NULL, "0", 1,
	  "port checked on this backend; 0 = the pool's" },
	{ B, "max_share", LB_KEY_U32, 1, 100, NULL, NULL, "", 1,
	  "policy: percent of its pool's new flows it may get (expected "
	  "share from the table); unset: any" },
	{ B, "capacity", LB_KEY_U32, 1, 1000000000, NULL, NULL, "", 1,
	  "new connections/s it can take (capacity lint); unset: unknown" },
	{ R, "local_as", LB_KEY_U32, 1, UINT32_MAX, NULL, NULL, NULL, 0,
	  "this box's AS number (BIRD 2's local as)" },
	{ R, "router_id", LB_KEY_IPV4, 0, 0, NULL, NULL, "", 0,
	  "BGP router id; empty: the address of the first port with a "
	  "kernel_interface" },
	{ R, "neighbor", LB_KEY_STRING, 1, 1023, NULL, NULL, NULL, 0,
	  "BGP neighbours, 'ADDRESS AS' each, comma separated (at most "
	  "8); each on-link on a port with a kernel_interface" },
	{ R, "hold_time_s", LB_KEY_U32, 3, 65535, NULL, NULL, "90", 0,
	  "BGP hold time proposed to the neighbours, s (keepalive: a "
	  "third of it)" },
	{ R, "drain_s", LB_KEY_U32, 0, 3600, NULL, NULL, "10", 0,
	  "on SIGTERM/SIGINT: withdraw every VIP, keep forwarding this "
	  "long, then stop, s" },
	{ R, "bird_include", LB_KEY_PATH, 0, LB_PATH_MAX - 1, NULL, NULL,
	  "", 0, "the operator's own BIRD 2 snippet (filters, BFD, more "
	  "sessions), included in the generated bird.conf; empty: none" },
	{ R, "bird", LB_KEY_PATH, 0, LB_PATH_MAX - 1, NULL, NULL,
	  "/usr/sbin/bird", 0, "the BIRD 2 daemon edgelbd runs" },
};

static const char *const kind_names[LB_SECTION_KINDS] = {
	"global", "port", "vip", "pool", "backend", "bgp",
};

const struct lb_config_key *
lb_config_keys(unsigned int *n)
{
	*n = RTE_DIM(keys);
	return keys;
}

const struct lb_config_key *
lb_config_key_find(enum lb_section_kind kind, const char *name)
{
	size_t i;

	for (i = 0; i < RTE_DIM(keys); i++)
		if (keys[i].section == kind && strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

const char *
lb_section_kind_name(enum lb_section_kind kind)
{
	return kind < LB_SECTION_KINDS ? kind_names[kind] : "?";
}

/* ---- checks: the messages every caller shows ---------------------- */

/* Decimal only: no sign, no base prefix, no junk, no silent wrap. */
static int
check_u32(const struct lb_config_key *k, const char *v, char *msg,
	  size_t size)
{
	const char *p;
	uint64_t n = 0;

	for (p = v; *p >= '0' && *p <= '9'; p++)
		if (n <= UINT32_MAX)
			n = n * 10 + (*p - '0');
	if (p == v || *p != '\0') {
		snprintf(msg, size, "%s = '%s': not a decimal integer (%u..%u)",
			 k->name, v, k->min, k->max);
		return -1;
	}
	if (n < k->min || n > k->max) {
		snprintf(msg, size, "%s = %s is out of range %u..%u", k->name,
			 v, k->min, k->max);
		return -1;
	}
	return 0;
}

static int
check_ipv4(const char *name, const char *v, char *msg, size_t size)
{
	struct in_addr a;

	if (inet_pton(AF_INET, v, &a) == 1)
		return 0;
	snprintf(msg, size, "%s = '%s': not an IPv4 address", name, v);
	return -1;
}

/* "a.b.c.d/len", len 1..32. */
static int
check_prefix(const struct lb_config_key *k, const char *v, char *msg,
	     size_t size)
{
	const char *slash = strchr(v, '/'), *p;
	char ip[INET_ADDRSTRLEN + 1];
	unsigned int n = 0;

	if (slash == NULL) {
		snprintf(msg, size,
			 "%s = '%s': expected a.b.c.d/len (prefix length 1..32)",
			 k->name, v);
		return -1;
	}
	if ((size_t)(slash - v) >= sizeof(ip))
		return check_ipv4(k->name, v, msg, size);
	memcpy(ip, v, slash - v);
	ip[slash - v] = '\0';
	if (check_ipv4(k->name, ip, msg, size) < 0)
		return -1;
	for (p = slash + 1; *p >= '0' && *p <= '9' && n <= 32; p++)
		n = n * 10 + (*p - '0');
	if (p == slash + 1 || *p != '\0' || n < 1 || n > 32) {
		snprintf(msg, size,
			 "%s = '%s': prefix length must be a decimal integer in 1..32",
			 k->name, v);
		return -1;
	}
	return 0;
}

static int
check_length(const struct lb_config_key *k, const char *v, char *msg,
	     size_t size)
{
	if (strlen(v) <= k->max)
		return 0;
	snprintf(msg, size, "%s is too long (max %u bytes)", k->name, k->max);
	return -1;
}

static int
check_path(const struct lb_config_key *k, const char *v, char *msg,
	   size_t size)
{
	if (check_length(k, v, msg, size) < 0)
		return -1;
	if (v[0] == '/')
		return 0;
	snprintf(msg, size, "%s = '%s': must be an absolute path", k->name, v);
	return -1;
}

static int
check_device(const struct lb_config_key *k, const char *v, char *msg,
	     size_t size)
{
	if (*v == '\0' || strpbrk(v, " \t") != NULL) {
		snprintf(msg, size,
			 "%s = '%s': expected a DPDK vdev string (net_af_packet0,iface=veth0) or a PCI address",
			 k->name, v);
		return -1;
	}
	return check_length(k, v, msg, size);
}

/* "a", "a or b", "a, b or c" (@last: "or" / "and"). */
static void
words_list(const char *const *w, const char *last, char *out, size_t size)
{
	size_t n, i, len = 0;

	for (n = 0; w[n] != NULL; n++)
		;
	out[0] = '\0';
	for (i = 0; i < n && len < size; i++)
		len += snprintf(out + len, size - len, "%s%s",
				i == 0 ? "" : i + 1 == n ? last : ", ", w[i]);
}

static int
check_enum(const struct lb_config_key *k, const char *v, char *msg,
	   size_t size)
{
	char want[128], later[128];
	size_t i;

	if (lb_key_word(k, v) >= 0)
		return 0;
	words_list(k->words, " or ", want, sizeof(want));
	if (k->planned == NULL) {
		snprintf(msg, size, "%s = '%s': expected %s", k->name, v, want);
		return -1;
	}
	for (i = 0; k->planned[i] != NULL; i++) {
		if (strcmp(v, k->planned[i]) == 0) {
			snprintf(msg, size,
				 "%s '%s' is not supported yet (only %s)",
				 k->name, v, want);
			return -1;
		}
	}
	words_list(k->planned, " and ", later, sizeof(later));
	snprintf(msg, size, "%s = '%s': expected %s (%s are not supported yet)",
		 k->name, v, want, later);
	return -1;
}

static int
check_mac(const struct lb_config_key *k, const char *v, char *msg,
	  size_t size)
{
	uint8_t mac[6];

	if (lb_key_mac(v, mac) == 0)
		return 0;
	snprintf(msg, size,
		 "%s = '%s': not a unicast MAC address (xx:xx:xx:xx:xx:xx)",
		 k->name, v);
	return -1;
}

/* Names of sections: the same rule as section headers. */
static int
check_pool_name(const struct lb_config_key *k, const char *v, char *msg,
		size_t size)
{
	size_t len = strlen(v);

	if (len >= 1 && len < LB_NAME_MAX &&
	    strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_-") == len)
		return 0;
	snprintf(msg, size,
		 "%s = '%s': not a pool name (1..%d characters of a-z, 0-9, '_' and '-')",
		 k->name, v, LB_NAME_MAX - 1);
	return -1;
}

/* As useradd accepts by default; empty means "none" where allowed. */
static int
check_group(const struct lb_config_key *k, const char *v, char *msg,
	    size_t size)
{
	size_t len = strlen(v);

	if (len == 0 ||
	    (len <= k->max && (v[0] == '_' || (v[0] >= 'a' && v[0] <= 'z')) &&
	     strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_-") == len))
		return 0;
	snprintf(msg, size,
		 "%s = '%s': not a group name ([a-z_][a-z0-9_-]*, at most %u characters)",
		 k->name, v, k->max);
	return -1;
}

/* An absolute URL path: printable ASCII without space, as a request line
 * carries it. */
static int
check_url_path(const struct lb_config_key *k, const char *v, char *msg,
	       size_t size)
{
	const char *p;

	for (p = v; *p > ' ' && *p < 0x7f; p++)
		;
	if (v[0] == '/' && *p == '\0')
		return check_length(k, v, msg, size);
	snprintf(msg, size,
		 "%s = '%s': expected a path starting with '/' (printable, no spaces)",
		 k->name, v);
	return -1;
}

/* A host name or address for a Host header; empty allowed. */
static int
check_host(const struct lb_config_key *k, const char *v, char *msg,
	   size_t size)
{
	size_t len = strlen(v);

	if (strspn(v, "abcdefghijklmnopqrstuvwxyz"
		      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:[]") == len)
		return check_length(k, v, msg, size);
	snprintf(msg, size,
		 "%s = '%s': not a host name (letters, digits, '.', '-', '_', "
		 "':' and '[]')", k->name, v);
	return -1;
}

int
lb_key_status_range(const char *v, uint16_t *lo, uint16_t *hi)
{
	unsigned int a, b;
	int n = 0;

	if (sscanf(v, "%3u%n", &a, &n) != 1 || n != 3)
		return -1;
	b = a;
	if (v[n] == '-') {
		int m = 0;

		if (sscanf(v + n + 1, "%3u%n", &b, &m) != 1 || m != 3)
			return -1;
		n += 1 + m;
	}
	if (v[n] != '\0' || a < 100 || b > 599 || a > b ||
	    strspn(v, "0123456789-") != strlen(v))
		return -1;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

static int
check_status_range(const struct lb_config_key *k, const char *v, char *msg,
		   size_t size)
{
	uint16_t lo, hi;

	if (lb_key_status_range(v, &lo, &hi) == 0)
		return 0;
	snprintf(msg, size,
		 "%s = '%s': expected an HTTP status (200) or a range (200-399) "
		 "within 100..599", k->name, v);
	return -1;
}

/*
 * Empty (none), or 32 hex digits that are not all one digit (0000...,
 * ffff...: the first keys anyone tries). The value is never repeated in
 * the message: it is a secret.
 */
static int
check_secret(const struct lb_config_key *k, const char *v, char *msg,
	     size_t size)
{
	struct lb_hash_key key;
	size_t len = strlen(v);

	if (len == 0)
		return 0;
	if (lb_hash_key_parse(v, &key) != 0) {
		snprintf(msg, size,
			 "%s: expected %u hex digits (128 bits), e.g. from "
			 "'openssl rand -hex 16' (value not shown: %zu "
			 "characters)", k->name, LB_HASH_KEY_HEX_LEN, len);
		return -1;
	}
	if (strspn(v, (char[]){ v[0], (char)(v[0] ^ 0x20), '\0' }) == len) {
		snprintf(msg, size, "%s: a key of one repeated digit is no "
			 "secret: use a random one ('openssl rand -hex 16')",
			 k->name);
		return -1;
	}
	return 0;
}

int
lb_key_listen(const char *v, uint32_t *addr, uint16_t *port)
{
	const char *colon = strrchr(v, ':'), *p;
	char ip[INET_ADDRSTRLEN + 1];
	struct in_addr a;
	uint32_t n = 0;

	if (colon == NULL || (size_t)(colon - v) >= sizeof(ip))
		return -1;
	memcpy(ip, v, colon - v);
	ip[colon - v] = '\0';
	for (p = colon + 1; *p >= '0' && *p <= '9' && n <= 65535; p++)
		n = n * 10 + (*p - '0');
	if (inet_pton(AF_INET, ip, &a) != 1 || p == colon + 1 || *p != '\0' ||
	    n < 1 || n > 65535)
		return -1;
	*addr = a.s_addr;
	*port = (uint16_t)n;
	return 0;
}

/* Empty (off), or "a.b.c.d:port". */
static int
check_listen(const struct lb_config_key *k, const char *v, char *msg,
	     size_t size)
{
	uint32_t addr;
	uint16_t port;

	if (*v == '\0' || lb_key_listen(v, &addr, &port) == 0)
		return 0;
	snprintf(msg, size, "%s = '%s': expected an IPv4 address and a port "
		 "1..65535, a.b.c.d:port (empty: off)", k->name, v);
	return -1;
}

int
lb_key_count_percent(const char *v, uint32_t *n, uint8_t *percent)
{
	const char *p;
	uint64_t x = 0;

	for (p = v; *p >= '0' && *p <= '9' && x <= UINT32_MAX; p++)
		x = x * 10 + (*p - '0');
	*percent = *p == '%';
	if (p == v || x > UINT32_MAX || p[*percent] != '\0')
		return -1;
	*n = (uint32_t)x;
	return 0;
}

/* "2" (a count min..max) or "50%" (1..100 percent). */
static int
check_count_percent(const struct lb_config_key *k, const char *v, char *msg,
		    size_t size)
{
	uint8_t percent;
	uint32_t n;

	if (lb_key_count_percent(v, &n, &percent) < 0) {
		snprintf(msg, size, "%s = '%s': expected a count (%u..%u) or a "
			 "percent (1%%..100%%)", k->name, v, k->min, k->max);
		return -1;
	}
	if (percent && (n < 1 || n > 100)) {
		snprintf(msg, size, "%s = %s is out of range 1%%..100%%",
			 k->name, v);
		return -1;
	}
	if (!percent && (n < k->min || n > k->max)) {
		snprintf(msg, size, "%s = %s is out of range %u..%u", k->name,
			 v, k->min, k->max);
		return -1;
	}
	return 0;
}

int
lb_config_key_check(const struct lb_config_key *k, const char *v, char *msg,
		    size_t size)
{
	switch (k->type) {
	case LB_KEY_U32:
		return check_u32(k, v, msg, size);
	case LB_KEY_IPV4:
		return check_ipv4(k->name, v, msg, size);
	case LB_KEY_IPV4_PREFIX:
		return check_prefix(k, v, msg, size);
	case LB_KEY_STRING:
		return check_length(k, v, msg, size);
	case LB_KEY_PATH:
		return check_path(k, v, msg, size);
	case LB_KEY_DEVICE:
		return check_device(k, v, msg, size);
	case LB_KEY_ENUM:
		return check_enum(k, v, msg, size);
	case LB_KEY_MAC:
		return check_mac(k, v, msg, size);
	case LB_KEY_POOL:
		return check_pool_name(k, v, msg, size);
	case LB_KEY_GROUP:
		return check_group(k, v, msg, size);
	case LB_KEY_URL_PATH:
		return check_url_path(k, v, msg, size);
	case LB_KEY_HOST:
		return check_host(k, v, msg, size);
	case LB_KEY_STATUS_RANGE:
		return check_status_range(k, v, msg, size);
	case LB_KEY_COUNT_PERCENT:
		return check_count_percent(k, v, msg, size);
	case LB_KEY_SECRET:
		return check_secret(k, v, msg, size);
	case LB_KEY_LISTEN:
		return check_listen(k, v, msg, size);
	}
	snprintf(msg, size, "%s: unknown key type", k->name);
	return -1;
}

/* ---- typed values, once checked ------------------------------------ */

uint32_t
lb_key_u32(const char *v)
{
	return (uint32_t)strtoul(v, NULL, 10);
}

uint32_t
lb_key_ipv4(const char *v)
{
	struct in_addr a = { 0 };

	if (*v != '\0')
		inet_pton(AF_INET, v, &a);
	return a.s_addr;
}

void
lb_key_prefix(const char *v, uint32_t *addr, uint8_t *len)
{
	const char *slash = strchr(v, '/');
	char ip[INET_ADDRSTRLEN + 1] = "";

	if (slash != NULL && (size_t)(slash - v) < sizeof(ip))
		memcpy(ip, v, slash - v);
	*addr = lb_key_ipv4(ip);
	*len = slash != NULL ? (uint8_t)atoi(slash + 1) : 0;
}

int
lb_key_word(const struct lb_config_key *k, const char *v)
{
	int i;

	for (i = 0; k->words != NULL && k->words[i] != NULL; i++)
		if (strcmp(v, k->words[i]) == 0)
			return i;
	return -1;
}

int
lb_key_mac(const char *v, uint8_t mac[6])
{
	struct rte_ether_addr a;

	if (rte_ether_unformat_addr(v, &a) != 0 ||
	    !rte_is_valid_assigned_ether_addr(&a))
		return -1;
	memcpy(mac, a.addr_bytes, 6);
	return 0;
}
