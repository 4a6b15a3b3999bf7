/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One log stream for the daemon. DPDK's rte_log (EAL, PMDs, our lib/
 * logtypes) and edgelbd_log() all end in log_write(), which writes each line
 * once to stderr. EAL 22.11's own default stream would write to stderr *and*
 * syslog, so under systemd every line reached the journal twice; installing
 * ours with rte_openlog_stream() before rte_eal_init() means EAL's default is
 * never used (EAL still calls openlog(), but nothing is sent to syslog).
 *
 * When stderr is the journal (JOURNAL_STREAM names stderr's device and
 * inode, see systemd.exec(5)) each line starts with "<N>", the syslog
 * priority journald parses, mapped from the message's rte_log level.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

#include <rte_log.h>

#include "edgelbd.h"

RTE_LOG_REGISTER(edgelbd_logtype, edgelb.daemon, INFO);

static int to_journal;
/* Both only touched inside log_write(), which glibc calls with the
 * stream's lock held: writers on several lcores are serialised. */
static int at_line_start = 1;
static FILE *log_stream;

/* rte_log levels are syslog priorities + 1 (RTE_LOG_EMERG = 1). */
static int
cur_priority(void)
{
	int level = rte_log_cur_msg_loglevel();

	if (level < (int)RTE_LOG_EMERG || level > (int)RTE_LOG_DEBUG)
		return LOG_INFO;
	return level - 1;
}

static ssize_t
log_write(void *cookie, const char *buf, size_t size)
{
	char prefix[8];
	size_t off = 0;

	(void)cookie;
	snprintf(prefix, sizeof(prefix), "<%d>", cur_priority());
	while (off < size) {
		const char *nl = memchr(buf + off, '\n', size - off);
		size_t len = nl != NULL ? (size_t)(nl - (buf + off)) + 1 :
			     size - off;
		struct iovec iov[2];
		int n = 0;

		if (to_journal && at_line_start) {
			iov[n].iov_base = prefix;
			iov[n++].iov_len = strlen(prefix);
		}
		iov[n].iov_base = (void *)(uintptr_t)(buf + off);
		iov[n++].iov_len = len;
		/* One writev per line: a line is one journal record. A failed
		 * write is dropped; there is nowhere left to report it. */
		if (writev(STDERR_FILENO, iov, n) < 0)
			break;
		at_line_start = nl != NULL;
		off += len;
	}
	return (ssize_t)size;
}

static int
stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char tail;

	if (env == NULL ||
	    sscanf(env, "%llu:%llu%c", &dev, &ino, &tail) != 2 ||
	    fstat(STDERR_FILENO, &st) != 0)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

int
edgelbd_log_open(void)
{
	static const cookie_io_functions_t ops = { .write = log_write };

	if (log_stream != NULL)
		return 0;
	to_journal = stderr_is_journal();
	log_stream = fopencookie(NULL, "w", ops);
	if (log_stream == NULL)
		return -1;
	/* Flushed at each newline, by the thread that wrote the line: the
	 * level log_write() reads is that line's. */
	setvbuf(log_stream, NULL, _IOLBF, 0);
	return rte_openlog_stream(log_stream);
}

void
edgelbd_log(int priority, const char *fmt, ...)
{
	char msg[EDGELBD_ERR_MAX * 2];
	va_list ap;

	if (priority < LOG_EMERG || priority > LOG_DEBUG)
		priority = LOG_INFO;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rte_log((uint32_t)priority + 1, (uint32_t)edgelbd_logtype,
		"edgelbd: %s\n", msg);
}
