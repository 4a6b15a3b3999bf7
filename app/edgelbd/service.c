/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The systemd service protocol (sd_notify(3)): READY, STATUS, WATCHDOG,
 * RELOADING, STOPPING. Every call is a no-op when NOTIFY_SOCKET is unset,
 * i.e. whenever edgelbd does not run under systemd (tests, the demo).
 * Called from the management lcore only.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "edgelbd.h"

static int watchdog_known;
static uint64_t watchdog_ms;
static uint64_t watchdog_last_ms;

static uint64_t
monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int
notify_enabled(void)
{
	return getenv("NOTIFY_SOCKET") != NULL;
}

static void
notify(const char *state)
{
	static int warned;
	int rc = sd_notify(0, state);

	/* Once: a lost socket would otherwise log at every watchdog tick. */
	if (rc < 0 && !warned) {
		warned = 1;
		edgelbd_log(LOG_WARNING, "sd_notify: %s", strerror(-rc));
	}
}

void
edgelbd_sd_ready(void)
{
	if (notify_enabled())
		notify("READY=1");
}

void
edgelbd_sd_status(const char *fmt, ...)
{
	char msg[256 + sizeof("STATUS=")] = "STATUS=";
	va_list ap;

	if (!notify_enabled())
		return;
	va_start(ap, fmt);
	vsnprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), fmt, ap);
	va_end(ap);
	/* A newline would start a new assignment. */
	for (char *p = msg; *p != '\0'; p++)
		if (*p == '\n')
			*p = ' ';
	notify(msg);
}

void
edgelbd_sd_status_of(const struct lb_dp *dp)
{
	const struct lb_snapshot *snap = lb_dp_snapshot(dp);
	const struct lb_config *cfg = snap != NULL ? snap->cfg : NULL;
	uint32_t i, n = 0, up = 0;

	if (!notify_enabled() || cfg == NULL)
		return;
	for (i = 0; i < cfg->n_backends; i++) {
		if (cfg->backends[i].state == LB_BACKEND_REMOVED)
			continue;
		n++;
		up += cfg->backends[i].state == LB_BACKEND_UP;
	}
	edgelbd_sd_status("generation %" PRIu64 ", %u VIPs, %u/%u backends up",
			  snap->generation, cfg->n_vips, up, n);
}

uint64_t
edgelbd_sd_watchdog_interval_ms(void)
{
	uint64_t usec = 0;

	if (!watchdog_known) {
		watchdog_known = 1;
		/* > 0 only if WATCHDOG_USEC is set and WATCHDOG_PID, when set,
		 * is our pid. */
		if (notify_enabled() && sd_watchdog_enabled(0, &usec) > 0)
			watchdog_ms = usec / 1000 > 0 ? usec / 1000 : 1;
	}
	return watchdog_ms;
}

void
edgelbd_sd_watchdog(void)
{
	uint64_t interval = edgelbd_sd_watchdog_interval_ms(), now;

	if (interval == 0)
		return;
	now = monotonic_us() / 1000;
	/* Half the interval, as sd_watchdog_enabled(3) advises: one late
	 * tick never costs a restart. */
	if (watchdog_last_ms != 0 && now - watchdog_last_ms < interval / 2)
		return;
	watchdog_last_ms = now;
	notify("WATCHDOG=1");
}

void
edgelbd_sd_reloading(void)
{
	char msg[64];

	if (!notify_enabled())
		return;
	/* MONOTONIC_USEC: systemd >= 253 (Type=notify-reload) wants it;
	 * older versions ignore it. */
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
		 monotonic_us());
	notify(msg);
}

void
edgelbd_sd_reloaded(void)
{
	edgelbd_sd_ready();
}

void
edgelbd_sd_stopping(void)
{
	if (notify_enabled())
		notify("STOPPING=1");
}
