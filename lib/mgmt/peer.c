/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Who is on the other end of a management connection. The kernel vouches
 * for the credentials (taken at connect time); the command name is only a
 * hint for logs and audit: a process can change it, and /proc may be gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mgmt_priv.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59        /* Linux >= 4.13; older libc headers lack it */
#endif

static void
peer_groups(int fd, struct lb_mgmt_peer *p)
{
	socklen_t len = sizeof(p->groups);

	/* ERANGE: more than we keep. None rather than an arbitrary subset. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, p->groups, &len) == 0)
		p->n_groups = (unsigned int)(len / sizeof(p->groups[0]));
	else
		MGMT_LOG(DEBUG, "pid %d: supplementary groups unknown: %s",
			 (int)p->pid, strerror(errno));
}

static void
peer_comm(struct lb_mgmt_peer *p)
{
	char path[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)p->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, p->comm, sizeof(p->comm) - 1);
	close(fd);
	if (n <= 0)
		return;
	p->comm[n] = '\0';
	p->comm[strcspn(p->comm, "\n")] = '\0';
	/* It is the peer's to choose: keep it safe to log. */
	lb_mgmt_sanitize(p->comm, sizeof(p->comm), p->comm, strlen(p->comm));
}

void
lb_mgmt_peer_read(int fd, struct lb_mgmt_peer *p)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	memset(p, 0, sizeof(*p));
	p->pid = -1;
	p->uid = (uid_t)-1;
	p->gid = (gid_t)-1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		MGMT_LOG(WARNING, "peer credentials unknown: %s",
			 strerror(errno));
		return;
	}
	p->pid = cred.pid;
	p->uid = cred.uid;
	p->gid = cred.gid;
	peer_groups(fd, p);
	if (p->pid > 0)
		peer_comm(p);
}
