/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A client of BIRD's control socket, as birdc speaks it: BIRD greets with
 * "0001 BIRD x ready.", each command is one line, each reply line is
 * "DDDD-text" (more follows), " text" (continues the previous code) or
 * "DDDD text" (the last line). Blocking with a 1 s timeout: the socket is
 * local and BIRD answers at once (see lb_bgp.h).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "lb_bgp.h"

#define BIRDC_TIMEOUT_MS 1000
#define BIRDC_MAX (256 * 1024)   /* a reply larger than this is cut */

static int
birdc_connect(const char *ctl)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = BIRDC_TIMEOUT_MS / 1000,
			      .tv_usec = BIRDC_TIMEOUT_MS % 1000 * 1000 };
	int fd;

	if (strlen(ctl) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, ctl);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

struct reply {
	char buf[BIRDC_MAX + 1];
	size_t len, used;           /* bytes read; bytes parsed */
	int last_code;              /* code of the line continuing */
};

/* One complete line from @p r (NUL-terminated in place), reading more as
 * needed. @return it, or NULL on error, timeout or EOF. */
static char *
next_line(int fd, struct reply *r)
{
	char *nl, *line;
	ssize_t k;

	for (;;) {
		nl = memchr(r->buf + r->used, '\n', r->len - r->used);
		if (nl != NULL) {
			line = r->buf + r->used;
			*nl = '\0';
			r->used = (size_t)(nl - r->buf) + 1;
			return line;
		}
		if (r->len == BIRDC_MAX)
			return NULL;
		k = recv(fd, r->buf + r->len, BIRDC_MAX - r->len, 0);
		if (k <= 0)
			return NULL;
		r->len += (size_t)k;
	}
}

static int
is_code(const char *l)
{
	return strlen(l) >= 5 && strspn(l, "0123456789") == 4 &&
	       (l[4] == ' ' || l[4] == '-');
}

/* Lines up to the last one ("DDDD text") into @p lines (may be NULL).
 * @return its code; when that is 0 (the end of a listing: "0009-x:
 * disabled" then "0000 "), the last other code; -1 on error. */
static int
read_reply(int fd, struct reply *r, json_t *lines)
{
	int said = 0;
	char *l;

	for (;;) {
		l = next_line(fd, r);
		if (l == NULL)
			return -1;
		if (is_code(l)) {
			r->last_code = atoi(l);
			if (r->last_code != 0)
				said = r->last_code;
			if (lines != NULL)
				json_array_append_new(lines,
					json_pack("{s:i, s:s}", "code",
						  r->last_code, "text", l + 5));
			if (l[4] == ' ')
				return r->last_code != 0 ? r->last_code : said;
		} else if (l[0] == ' ' && lines != NULL) {
			json_array_append_new(lines, json_pack("{s:i, s:s}",
				"code", r->last_code, "text", l + 1));
		}
	}
}

json_t *
lb_bgp_birdc(const char *ctl, const char *cmd, int *code)
{
	struct reply *r = calloc(1, sizeof(*r));
	json_t *lines = json_array();
	size_t len = strlen(cmd);
	int fd = -1;

	*code = -1;
	if (r == NULL || lines == NULL)
		goto fail;
	fd = birdc_connect(ctl);
	if (fd < 0 || read_reply(fd, r, NULL) != 1 ||
	    send(fd, cmd, len, MSG_NOSIGNAL) != (ssize_t)len ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) != 1)
		goto fail;
	*code = read_reply(fd, r, lines);
	if (*code < 0)
		goto fail;
	close(fd);
	free(r);
	return lines;
fail:
	if (fd >= 0)
		close(fd);
	free(r);
	json_decref(lines);
	*code = -1;
	return NULL;
}
