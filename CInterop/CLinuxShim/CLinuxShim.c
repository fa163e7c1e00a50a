#define _GNU_SOURCE
#include "CLinuxShim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

const uint32_t HW_EPOLLIN = EPOLLIN;
const uint32_t HW_EPOLLOUT = EPOLLOUT;
const uint32_t HW_EPOLLERR = EPOLLERR;
const uint32_t HW_EPOLLHUP = EPOLLHUP;
const uint32_t HW_EPOLLRDHUP = EPOLLRDHUP;
const uint32_t HW_EPOLLET = EPOLLET;
const uint32_t HW_EPOLLONESHOT = EPOLLONESHOT;

int hw_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int hw_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event event;
    event.events = events;
    event.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &event);
}

int hw_epoll_wait(int epfd, hw_epoll_event *events, int max_events, int timeout_ms) {
    struct epoll_event raw[256];
    if (max_events > 256) max_events = 256;
    int count = epoll_wait(epfd, raw, max_events, timeout_ms);
    for (int i = 0; i < count; i++) {
        events[i].data = raw[i].data.u64;
        events[i].events = raw[i].events;
    }
    return count;
}

int hw_eventfd_create(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int hw_eventfd_signal(int fd) {
    uint64_t one = 1;
    return write(fd, &one, sizeof one) == sizeof one ? 0 : -1;
}

int hw_eventfd_drain(int fd) {
    uint64_t value;
    return read(fd, &value, sizeof value) == sizeof value ? 0 : -1;
}

int hw_accept4(int listen_fd) {
    return accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

long hw_send_nosignal(int fd, const void *buffer, unsigned long length) {
    return send(fd, buffer, length, MSG_NOSIGNAL);
}

static int resolve(const char *host, int port, int passive, struct addrinfo **result) {
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = passive ? AI_PASSIVE : 0;
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    return getaddrinfo(host, service, &hints, result);
}

static int local_port(int fd) {
    struct sockaddr_storage address;
    socklen_t length = sizeof address;
    if (getsockname(fd, (struct sockaddr *)&address, &length) != 0) return -1;
    if (address.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&address)->sin_port);
    if (address.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&address)->sin6_port);
    return -1;
}

int hw_tcp_listen(const char *host, int port, int reuse_port, int backlog, int *bound_port) {
    struct addrinfo *addresses = NULL;
    if (resolve(host, port, 1, &addresses) != 0 || addresses == NULL) return -2;
    int fd = -1;
    int saved_errno = 0;
    for (struct addrinfo *address = addresses; address != NULL; address = address->ai_next) {
        fd = socket(address->ai_family, address->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    address->ai_protocol);
        if (fd < 0) {
            saved_errno = errno;
            continue;
        }
        int on = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        if (reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
        if (bind(fd, address->ai_addr, address->ai_addrlen) == 0 && listen(fd, backlog) == 0) break;
        saved_errno = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(addresses);
    if (fd < 0) {
        errno = saved_errno;
        return -1;
    }
    if (bound_port != NULL) *bound_port = local_port(fd);
    return fd;
}

int hw_tcp_connect(const char *host, int port) {
    struct addrinfo *addresses = NULL;
    if (resolve(host, port, 0, &addresses) != 0 || addresses == NULL) return -2;
    int fd = -1;
    int saved_errno = 0;
    for (struct addrinfo *address = addresses; address != NULL; address = address->ai_next) {
        fd = socket(address->ai_family, address->ai_socktype | SOCK_CLOEXEC, address->ai_protocol);
        if (fd < 0) {
            saved_errno = errno;
            continue;
        }
        if (connect(fd, address->ai_addr, address->ai_addrlen) == 0) break;
        saved_errno = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(addresses);
    if (fd < 0) {
        errno = saved_errno;
        return -1;
    }
    hw_set_nodelay(fd);
    return fd;
}

int hw_set_nodelay(int fd) {
    int on = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

int hw_set_nonblocking(int fd, int nonblocking) {
    int flags = fcntl(fd, F_GETFL, 0);
    if (flags < 0) return -1;
    flags = nonblocking ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    return fcntl(fd, F_SETFL, flags);
}

int hw_peer_is_loopback(int fd) {
    struct sockaddr_storage address;
    socklen_t length = sizeof address;
    if (getpeername(fd, (struct sockaddr *)&address, &length) != 0) return -1;
    if (address.ss_family == AF_INET) {
        uint32_t ip = ntohl(((struct sockaddr_in *)&address)->sin_addr.s_addr);
        return (ip >> 24) == 127;
    }
    if (address.ss_family == AF_INET6) {
        const struct in6_addr *ip = &((struct sockaddr_in6 *)&address)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(ip)) return 1;
        if (IN6_IS_ADDR_V4MAPPED(ip)) return ip->s6_addr[12] == 127;
        return 0;
    }
    return 0;
}

int hw_peer_address(int fd, char *buffer, unsigned long capacity) {
    struct sockaddr_storage address;
    socklen_t length = sizeof address;
    if (capacity == 0 || getpeername(fd, (struct sockaddr *)&address, &length) != 0) return -1;
    char host[INET6_ADDRSTRLEN];
    if (address.ss_family == AF_INET) {
        struct sockaddr_in *ipv4 = (struct sockaddr_in *)&address;
        inet_ntop(AF_INET, &ipv4->sin_addr, host, sizeof host);
        snprintf(buffer, capacity, "%s:%d", host, ntohs(ipv4->sin_port));
        return 0;
    }
    if (address.ss_family == AF_INET6) {
        struct sockaddr_in6 *ipv6 = (struct sockaddr_in6 *)&address;
        inet_ntop(AF_INET6, &ipv6->sin6_addr, host, sizeof host);
        snprintf(buffer, capacity, "[%s]:%d", host, ntohs(ipv6->sin6_port));
        return 0;
    }
    return -1;
}
