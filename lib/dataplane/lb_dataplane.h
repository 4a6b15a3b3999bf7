/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_DATAPLANE_H
#define LB_DATAPLANE_H

/**
 * @file
 * The worker loop, and the only ways management talks to workers.
 *
 * Workers read one immutable snapshot (configuration, next hops,
 * generation) through one pointer published by management (store-release),
 * report an RCU quiescent state once per loop, and own their flow table
 * and counters. Only lib/runtime publishes (lb_dp_publish).
 * Management reaches a worker only through rings: packets to send
 * (ARP requests, frames from a kernel interface), packets seen (ARP for
 * the resolver, frames for a kernel interface) and requests (flow lookups
 * and dumps) that the worker answers between bursts.
 */

#include <stdint.h>

#include <rte_ether.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include <rte_branch_prediction.h>

#include "lb_config.h"
#include "lb_flow.h"
#include "lb_neigh.h"
#include "lb_stats.h"

#define LB_DP_BURST 32
/** Each worker's ring of frames for kernel interfaces (mbufs it may hold):
 *  bursts enough to cover management's wakeup; a deeper queue would only
 *  add latency to what TCP retransmits anyway. */
#define LB_DP_KERNEL_RING_SIZE 1024

/** A configured port as the dataplane sees it. Fixed for the run. */
struct lb_dp_port {
	uint16_t port_id;            /**< DPDK port id */
	struct rte_ether_addr mac;
};

/**
 * How workers wake management for frames they queued for a kernel
 * interface: management arms it before it sleeps (lb_dp_kernel_arm()),
 * the first worker to queue a frame after that disarms it and writes the
 * eventfd @c fd, once. Its own cache line: workers touch it only after
 * queueing such a frame and management once per wakeup, never near the
 * snapshot pointer every worker loads each loop.
 */
struct lb_dp_doorbell {
	uint32_t armed;
	int fd;                     /**< eventfd; -1: none */
} __rte_cache_aligned;

struct lb_worker;

/**
 * What the workers read, published as one: a worker never pairs a
 * configuration with the next hops of another. Immutable once published;
 * two snapshots in a row may share their configuration or their
 * neighbour table (a next-hop change keeps the configuration).
 */
struct lb_snapshot {
	const struct lb_config *cfg;
	const struct lb_neigh_table *neigh; /**< indexed like cfg->neighs */
	uint64_t generation;                /**< of the configuration */
	uint64_t seq;                       /**< publishes so far */
};

/** Everything shared between management and the workers. */
struct lb_dp {
	const struct lb_snapshot *snap;     /**< published; acquire-load */
	struct rte_rcu_qsbr *qsbr;
	unsigned int n_ports;
	struct lb_dp_port ports[LB_MAX_PORTS];   /**< 8 bytes each: a shift */
	/** Bit i: frames for port i's own address that edgelb does not
	 *  answer go to its kernel interface (lb_dp_kernel_enable()). */
	uint32_t kernel_ports;
	unsigned int n_workers;
	struct lb_worker *workers[LB_MAX_WORKERS];
	volatile int stop;
	struct lb_dp_doorbell kernel_bell;
};

/**
 * A rate limit on the TSC: a token bucket kept as one time (the generic
 * cell rate algorithm), exact for any arrival pattern: a packet passes if
 * the bucket's theoretical arrival time @c tat is at most @c tolerance
 * ahead of now, and moves it on by @c interval. No lock, no system call;
 * worker-owned like everything here.
 */
struct lb_dp_rate {
	uint64_t tat;               /**< TSC; UINT64_MAX: nothing passes */
	uint64_t interval;          /**< TSC per packet let through */
	uint64_t tolerance;         /**< (burst - 1) * interval */
};

/** Per-worker state. Only the worker writes it (rings aside). */
struct lb_worker {
	struct lb_worker_stats stats;       /**< first: cache aligned */
	struct lb_dp *dp;
	unsigned int index;                 /**< queue id and RCU thread id */
	unsigned int lcore;
	uint32_t idle_sleep_us;
	struct lb_flow_table *flows;
	struct rte_ring *to_mgmt;           /**< mbufs seen: ARP */
	struct rte_ring *from_mgmt;         /**< mbufs to transmit */
	struct rte_ring *requests;          /**< struct lb_dp_request * */
	struct rte_ring *to_kernel;         /**< mbufs for kernel interfaces */
	uint8_t kernel_queued;              /**< since the last doorbell */
	const struct lb_snapshot *seen_snap;
	const struct lb_config *seen_config;
	struct lb_flow_timeouts timeouts;   /**< from seen_config */
	struct lb_dp_rate icmp_echo_rate;   /**< from seen_config */
	struct lb_dp_rate arp_reply_rate;   /**< from seen_config */
	/** Each port's VLAN id (0: untagged), from seen_config: a frame
	 *  forwarded to another port takes that port's tag. */
	uint16_t port_vlan[LB_MAX_PORTS];
	/* lb_config.backend_epoch/vip_epoch as this worker's counters are */
	uint16_t backend_epoch[LB_MAX_BACKENDS];
	uint16_t vip_epoch[LB_MAX_VIPS];
	/** Longest busy loop iteration so far, in TSC cycles: the worst
	 *  delay a packet waiting in a queue saw (config swaps included). */
	uint64_t busy_loop_max_tsc;
	/** The loop iteration that first ran on a newly published config,
	 *  from before its config load to its quiescent state, in TSC
	 *  cycles: the last one and the longest. A swap stalls the worker
	 *  by no more than this. */
	uint64_t swap_loop_last_tsc;
	uint64_t swap_loop_max_tsc;
	uint16_t tx_n[LB_MAX_PORTS];
	uint32_t tx_bytes[LB_MAX_PORTS];    /**< of the tx_n buffered */
	struct rte_mbuf *tx[LB_MAX_PORTS][LB_DP_BURST * 2];
} __rte_cache_aligned;

/**
 * Allocate the shared state with an RCU variable for @p n_workers.
 * Management lcore; needs EAL. @return NULL on failure (rte_errno).
 */
struct lb_dp *lb_dp_create(unsigned int n_workers);
void lb_dp_free(struct lb_dp *dp);

/**
 * Create worker @p index (queue id) to run on @p lcore, with its flow
 * table and rings on @p socket. @return 0 or -errno.
 */
int lb_dp_worker_create(struct lb_dp *dp, unsigned int index,
			unsigned int lcore, int socket, uint32_t flow_capacity);

/** The worker loop; rte_eal_remote_launch() entry; returns when dp->stop. */
int lb_dp_worker_main(void *worker);

/**
 * Process @p n packets received on configured port @p port (index into
 * dp->ports) at time @p now. Forwards, answers or drops (and frees) every
 * packet; transmits what it can. Worker lcore. Exposed for benchmarks.
 */
void lb_dp_process_burst(struct lb_worker *w, const struct lb_snapshot *snap,
			 unsigned int port, struct rte_mbuf **pkts, uint16_t n,
			 uint64_t now);

/**
 * Transmit what the worker has buffered, and wake management if frames
 * for a kernel interface were queued while it sleeps. Worker lcore.
 */
void lb_dp_flush(struct lb_worker *w);

/**
 * Publish @p snap (whole: cfg and neigh set) and wait until no worker can
 * read the previous one: one store, one wait for every worker's quiescent
 * state. Management lcore; blocks for at most one worker loop. The
 * daemon calls it only through lb_runtime_apply(); benchmarks and tests
 * call it directly.
 * @return the previous snapshot, for the caller to free (may be NULL).
 */
const struct lb_snapshot *lb_dp_publish(struct lb_dp *dp,
					const struct lb_snapshot *snap);

/** The published snapshot (NULL before the first). Any lcore. */
static inline const struct lb_snapshot *
lb_dp_snapshot(const struct lb_dp *dp)
{
	return __atomic_load_n(&dp->snap, __ATOMIC_ACQUIRE);
}

/**
 * The backend a new flow with key @p k for VIP index @p vip of @p cfg goes
 * to: the VIP's pool's Maglev table at the hash of the configured
 * hash_key. The one new-flow choice: the worker's packet path, its
 * self-test (LB_DP_REQ_SELFTEST) and `lookup` all call it, so what the
 * self-test measures is what packets get. Any lcore; @p vip must be
 * valid in @p cfg.
 * @return 0 and the backend's index in @p cfg in *@p b, or -1 if the
 * pool has none to give (no backend with weight > 0). The index goes out
 * unsigned, as the table holds it: a signed return would cost the packet
 * path a test of its sign.
 */
static inline int
lb_dp_new_flow_backend(const struct lb_config *cfg, uint32_t vip,
		       const struct lb_flow_key *k, uint32_t *b)
{
	const struct lb_pool_conf *pool = &cfg->pools[cfg->vips[vip].pool];
	uint16_t idx;

	idx = lb_sched_maglev_pick(&pool->maglev,
				   lb_flow_key_hash(&cfg->global.hash_key, k));
	if (unlikely(idx == LB_SCHED_EMPTY))
		return -1;
	*b = pool->members[idx];
	return 0;
}

/* ---- management requests answered by workers ---- */

enum lb_dp_req_type {
	LB_DP_REQ_LOOKUP,   /**< which of keys[] are in the flow table */
	LB_DP_REQ_FLOWS,    /**< dump up to max entries */
	/** Start busy_loop_max_tsc and swap_loop_max_tsc over (from 0), so
	 *  that a window of time can be measured on its own. */
	LB_DP_REQ_RESET_MAX,
	/** Draw synthetic tuples for one VIP and count where the worker's
	 *  new-flow choice sends each (struct lb_dp_selftest). */
	LB_DP_REQ_SELFTEST,
};

/**
 * A self-test of one worker's dispatch for one VIP: the worker draws
 * @c flows tuples from @c seed (lb_dp_selftest_tuple(), so every worker
 * and management draw the same ones), passes each through its own
 * new-flow choice (the packet path's, lb_dp_new_flow_backend()) and
 * records the backend identity it chose. No packet is sent, no flow
 * inserted, no counter touched. Management fills the fields before
 * @c done; the worker fills the rest.
 */
struct lb_dp_selftest {
	uint64_t seed;
	uint64_t generation;        /**< the configuration to test */
	uint32_t vip;               /**< index in that configuration */
	uint32_t flows;             /**< tuples to draw */
	/** Tuples done so far (the worker's cursor). */
	uint32_t done;
	/** 1 if the worker ran on another generation than @c generation
	 *  (a change came in between): the answer means nothing. */
	uint32_t stale;
	/** By tuple: the backend identity chosen, LB_ID_NONE for none. */
	uint16_t *choice;           /**< @c flows of them */
	/** By backend identity; [LB_MAX_BACKENDS]: tuples with none. */
	uint32_t *count;            /**< LB_MAX_BACKENDS + 1 of them */
};

/** Most tuples one self-test request draws. */
#define LB_DP_SELFTEST_MAX 1000000u

/**
 * Tuple @p i of the self-test drawn from @p seed for VIP @p v: a source
 * a client could have (not 0/8, 127/8 or 224/3; port 1..65535, which the
 * packet path would not refuse) to the VIP's address, port and protocol.
 * A counter-based draw (splitmix64 of seed and index): any tuple can be
 * drawn again alone, by a worker resuming or by management reporting it.
 * Any lcore.
 */
static inline void
lb_dp_selftest_tuple(uint64_t seed, uint32_t i, const struct lb_vip_conf *v,
		     struct lb_flow_key *k)
{
	uint64_t z = seed + (uint64_t)(i + 1) * UINT64_C(0x9e3779b97f4a7c15);
	uint32_t addr, first;

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	z ^= z >> 31;
	addr = (uint32_t)z;
	/* First octet 1..222 without 127: multiply-shift, no division. */
	first = ((addr >> 24) * 222 >> 8) + 1;
	first += first >= 127;
	addr = (addr & 0xffffff) | first << 24;
	k->src_addr = rte_cpu_to_be_32(addr);
	k->dst_addr = v->addr;
	k->src_port = rte_cpu_to_be_16((uint16_t)
		(((z >> 32 & 0xffff) * 65535 >> 16) + 1));
	k->dst_port = rte_cpu_to_be_16(v->port);
	k->proto = v->proto;
	k->pad[0] = k->pad[1] = k->pad[2] = 0;
}

/** One flow as a worker reports it. */
struct lb_dp_flow_info {
	struct lb_flow_key key;
	uint32_t found;             /**< LOOKUP: 1 if the worker holds it */
	uint32_t backend;
	uint16_t vip;
	uint8_t state;              /**< enum lb_flow_state */
	uint64_t idle_ms;           /**< since the last packet */
};

/**
 * A request. Management fills type, n/keys (LOOKUP) or max, pos and
 * answer_by_tsc (FLOWS), and out (room for n or max entries), then
 * submits; the worker fills out, sets n_out (and pos, end), and finally
 * done (release).
 *
 * A worker spends a bounded step on a request per loop iteration (about
 * LB_DP_REQ_STEP_US, plus one chunk of 64 keys, 32 flows, 1024 table
 * slots or 64 self-test tuples), resuming where it stopped, so neither a large flow table nor a
 * large request lengthens a loop iteration by more than that. A request
 * stays at the head of the worker's ring until it is answered.
 */
struct lb_dp_request {
	enum lb_dp_req_type type;
	uint32_t n;
	const struct lb_flow_key *keys;
	uint32_t max;
	/** FLOWS: the table slot to start from; once done, where the next
	 *  page starts (a cursor for lb_flow_walk_range). */
	uint32_t pos;
	/** FLOWS, once done: 1 if the walk reached the end of the table. */
	uint32_t end;
	/** FLOWS: answer with what was found when the TSC passes this, even
	 *  if the page is not full (0: no limit). */
	uint64_t answer_by_tsc;
	struct lb_dp_flow_info *out;
	uint32_t n_out;
	/** SELFTEST: the question and its answer. */
	struct lb_dp_selftest *selftest;
	volatile uint32_t done;
};

/** Most keys or entries one request may carry. */
#define LB_DP_REQ_MAX 4096
/** Time a worker gives a request per loop iteration, beyond one chunk. */
#define LB_DP_REQ_STEP_US 10

/**
 * Queue @p req (prepared as above) for worker @p worker, which answers it
 * between bursts. Management lcore; never blocks: poll
 * lb_dp_query_done(). Until it says done, the worker may read its keys
 * and write @p req and its out buffer, so none of them may be freed or
 * reused; a worker that never answers means they are never freed.
 * @return 0; -EINVAL if there is no such worker; -EBUSY if its request
 * ring is full (then @p req was not queued and is the caller's again:
 * submit it later).
 */
int lb_dp_query_submit(struct lb_dp *dp, unsigned int worker,
		       struct lb_dp_request *req);

/**
 * 1 once the worker has answered @p req (an acquire load: its answer is
 * then visible), else 0. Management lcore.
 */
int lb_dp_query_done(const struct lb_dp_request *req);

#ifdef LB_TEST_FAULTS
/**
 * Test builds only (meson -Dtest_faults=true), never a deployed daemon:
 * from now on worker @p worker sends every new flow whose source port is
 * a multiple of 4 (a quarter of them) to backend identity @p backend when
 * it is in the snapshot, as if its table differed from the others'; its
 * packets and its self-test alike. LB_ID_NONE puts it right. Management
 * lcore. @return 0, or -EINVAL (no such worker).
 */
int lb_dp_fault_selftest_skew(struct lb_dp *dp, unsigned int worker,
			      uint16_t backend);
#endif

/**
 * Send a packet out of configured port @p port through worker 0's TX
 * path. Management lcore. @return 0 or -ENOBUFS (packet freed).
 */
int lb_dp_send_ctl(struct lb_dp *dp, unsigned int port, struct rte_mbuf *m);

/**
 * Packets workers passed to management (ARP), up to @p max. Management.
 * The caller frees them.
 */
unsigned int lb_dp_recv_ctl(struct lb_dp *dp, struct rte_mbuf **pkts,
			    unsigned int max);

/* ---- the kernel exception path: worker -> management ---- */

/**
 * From now on workers queue frames for port @p port's own address that
 * they do not answer (TCP, UDP, ICMP other than echo requests; never a
 * VIP's address) for management, which must serve them (see
 * lb_dp_recv_kernel()) and sleep on @p bell_fd, an eventfd that workers
 * write as lb_dp_kernel_arm() says. Management lcore, before the workers
 * start. @return 0, or -EINVAL (no such port, or another eventfd than a
 * port enabled before).
 */
int lb_dp_kernel_enable(struct lb_dp *dp, unsigned int port, int bell_fd);

/**
 * Arm the doorbell before sleeping: the next frame a worker queues makes
 * it write the eventfd. Management lcore; never blocks.
 * @return 1 if every worker's kernel ring was empty once armed (sleep: a
 * frame queued from now on wakes you), 0 if frames are waiting (serve
 * them first; the doorbell stays armed, so a spurious wakeup may follow).
 */
int lb_dp_kernel_arm(struct lb_dp *dp);

/**
 * Frames worker @p worker queued for kernel interfaces, up to @p max;
 * mbuf->port is the configured port index (into dp->ports) each arrived
 * on. Management lcore; never blocks. The caller owns (frees or
 * transmits) them. @return how many.
 */
unsigned int lb_dp_recv_kernel(struct lb_dp *dp, unsigned int worker,
			       struct rte_mbuf **pkts, unsigned int max);

#endif
