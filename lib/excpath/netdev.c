/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kernel side of a kernel interface: address, prefix, up, default
 * route. Plain ioctls on an AF_INET socket: four calls need no netlink
 * library, and the interface (and with it its address and routes) goes
 * away when edgelbd closes the TAP, so there is nothing to undo.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "excpath_priv.h"

void
xp_netdev_no_ipv6(const char *name)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
		 name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	/* No such file: IPv6 is off in this kernel or namespace already. */
	if (fd < 0)
		return;
	if (write(fd, "1\n", 2) != 2)
		XP_LOG(WARNING, "%s: IPv6 stays on: %s", name, strerror(errno));
	close(fd);
}

static void
set_in(struct sockaddr *sa, uint32_t addr)
{
	struct sockaddr_in *in = (struct sockaddr_in *)sa;

	memset(in, 0, sizeof(*in));
	in->sin_family = AF_INET;
	in->sin_addr.s_addr = addr;
}

/* One SIOC* with @p arg; on failure @p err says which step and why. */
static int
if_ioctl(int s, unsigned long req, void *arg, const char *what,
	 const char *name, char *err, size_t errlen)
{
	if (ioctl(s, req, arg) == 0)
		return 0;
	snprintf(err, errlen, "%s: %s: %s", name, what, strerror(errno));
	return -1;
}

static int
set_address(int s, const char *name, uint32_t addr, uint8_t prefix_len,
	    char *err, size_t errlen)
{
	uint32_t mask = htonl(prefix_len == 0 ? 0 :
			      UINT32_MAX << (32 - prefix_len));
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	set_in(&ifr.ifr_addr, addr);
	if (if_ioctl(s, SIOCSIFADDR, &ifr, "set address", name, err,
		     errlen) != 0)
		return -1;
	set_in(&ifr.ifr_netmask, mask);
	return if_ioctl(s, SIOCSIFNETMASK, &ifr, "set netmask", name, err,
			errlen);
}

/* net_tap brings the link up when it starts; said again, not assumed. */
static int
set_up(int s, const char *name, char *err, size_t errlen)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (if_ioctl(s, SIOCGIFFLAGS, &ifr, "get flags", name, err,
		     errlen) != 0)
		return -1;
	ifr.ifr_flags |= IFF_UP;
	return if_ioctl(s, SIOCSIFFLAGS, &ifr, "set up", name, err, errlen);
}

/* 0.0.0.0/0 via @p gateway on this interface only. */
static int
add_default_route(int s, const char *name, uint32_t gateway, char *err,
		  size_t errlen)
{
	char dev[IFNAMSIZ];
	struct rtentry rt;

	memset(&rt, 0, sizeof(rt));
	snprintf(dev, sizeof(dev), "%s", name);
	set_in(&rt.rt_dst, 0);
	set_in(&rt.rt_genmask, 0);
	set_in(&rt.rt_gateway, gateway);
	rt.rt_flags = RTF_UP | RTF_GATEWAY;
	rt.rt_dev = dev;
	return if_ioctl(s, SIOCADDRT, &rt, "add default route", name, err,
			errlen);
}

int
xp_netdev_setup(const char *name, uint32_t addr, uint8_t prefix_len,
		uint32_t gateway, char *err, size_t errlen)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	if (s < 0) {
		snprintf(err, errlen, "%s: socket: %s", name, strerror(errno));
		return -1;
	}
	rc = set_address(s, name, addr, prefix_len, err, errlen);
	if (rc == 0)
		rc = set_up(s, name, err, errlen);
	if (rc == 0 && gateway != 0)
		rc = add_default_route(s, name, gateway, err, errlen);
	close(s);
	return rc;
}
