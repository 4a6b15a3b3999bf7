/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The audit history: JSON lines appended to a file and fsync'd before the
 * change is answered, and the last records kept in memory for `history`.
 * The file is best effort by design: a full or read-only disk is reported
 * (status, log) and retried on the next record, but never blocks a
 * change - an operator who must undo a bad change on a box with a full
 * disk must be able to.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime_priv.h"

struct lb_audit {
	char path[PATH_MAX];
	int fd;
	char error[PATH_MAX + 128]; /* last failure, "" when the file is fine */
	unsigned int keep, n, head; /* ring of the last keep records */
	uint64_t total;
	json_t **ring;
};

/* mkdir -p of the directory holding @p path (mode 0750). */
static void
make_parent(const char *path)
{
	char dir[PATH_MAX], *p;

	snprintf(dir, sizeof(dir), "%s", path);
	p = strrchr(dir, '/');
	if (p == NULL || p == dir)
		return;
	*p = '\0';
	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(dir, 0750);
		*p = '/';
	}
	mkdir(dir, 0750);
}

static int
audit_open_file(struct lb_audit *a)
{
	if (a->fd >= 0)
		return 0;
	make_parent(a->path);
	a->fd = open(a->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (a->fd < 0) {
		snprintf(a->error, sizeof(a->error), "cannot open %s: %s",
			 a->path, strerror(errno));
		return -1;
	}
	return 0;
}

struct lb_audit *
lb_audit_open(const char *path, unsigned int keep)
{
	struct lb_audit *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->ring = calloc(keep ? keep : 1, sizeof(*a->ring));
	if (a->ring == NULL) {
		free(a);
		return NULL;
	}
	a->keep = keep ? keep : 1;
	a->fd = -1;
	snprintf(a->path, sizeof(a->path), "%s", path != NULL ? path : "");
	if (a->path[0] == '\0')
		snprintf(a->error, sizeof(a->error), "no audit_log set");
	else if (audit_open_file(a) < 0)
		RT_LOG(ERR, "audit log: %s", a->error);
	return a;
}

void
lb_audit_close(struct lb_audit *a)
{
	unsigned int i;

	if (a == NULL)
		return;
	if (a->fd >= 0)
		close(a->fd);
	for (i = 0; i < a->keep; i++)
		json_decref(a->ring[i]);
	free(a->ring);
	free(a);
}

/* Write the whole line, then fsync: the record is on disk before the
 * answer leaves. */
static int
audit_write_all(int fd, const char *line, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, line, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		line += n;
		len -= (size_t)n;
	}
	return fsync(fd);
}

/*
 * A line cut short (disk full) is taken back, so that the next record
 * does not continue it: every line of the file stays one JSON record.
 */
static int
audit_write(struct lb_audit *a, const char *line, size_t len)
{
	off_t end = lseek(a->fd, 0, SEEK_END);
	int saved;

	if (audit_write_all(a->fd, line, len) == 0)
		return 0;
	saved = errno;
	if (end >= 0 && ftruncate(a->fd, end) != 0)
		RT_LOG(ERR, "audit log: cannot take back a partial line: %s",
		       strerror(errno));
	errno = saved;
	return -1;
}

static void
audit_append_file(struct lb_audit *a, const json_t *rec)
{
	char *text;
	size_t len;

	if (a->path[0] == '\0' || audit_open_file(a) < 0)
		return;
	text = json_dumps(rec, JSON_COMPACT);
	if (text == NULL)
		return;
	len = strlen(text);
	text[len] = '\n';   /* json_dumps' NUL becomes the line's end */
	if (audit_write(a, text, len + 1) != 0) {
		snprintf(a->error, sizeof(a->error), "cannot write %s: %s",
			 a->path, strerror(errno));
		RT_LOG(ERR, "audit log: %s", a->error);
		close(a->fd);
		a->fd = -1;
	} else if (a->error[0] != '\0') {
		RT_LOG(NOTICE, "audit log: %s is written again", a->path);
		a->error[0] = '\0';
	}
	free(text);
}

void
lb_audit_record(struct lb_audit *a, json_t *rec)
{
	if (rec == NULL)
		return;
	audit_append_file(a, rec);
	a->total++;
	json_decref(a->ring[a->head]);
	a->ring[a->head] = rec;
	a->head = (a->head + 1) % a->keep;
	if (a->n < a->keep)
		a->n++;
}

json_t *
lb_audit_last(const struct lb_audit *a, unsigned int n)
{
	json_t *list = json_array();
	unsigned int i, first;

	if (n > a->n)
		n = a->n;
	first = (a->head + a->keep - n) % a->keep;
	for (i = 0; i < n; i++)
		json_array_append(list, a->ring[(first + i) % a->keep]);
	return list;
}

const json_t *
lb_audit_nth_last(const struct lb_audit *a, unsigned int i)
{
	if (i >= a->n)
		return NULL;
	return a->ring[(a->head + a->keep - 1 - i) % a->keep];
}

const char *
lb_audit_error(const struct lb_audit *a)
{
	return a->error[0] != '\0' ? a->error : NULL;
}

uint64_t
lb_audit_total(const struct lb_audit *a)
{
	return a->total;
}

const char *
lb_audit_path(const struct lb_audit *a)
{
	return a->path;
}
